/**
 * README claims that had no test: the AgentTenant search attribute, Anthropic as an agent's model
 * through a real step, and a provider's Retry-After honoured as the delay before the retry.
 */
import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { and, eq } from 'drizzle-orm';
import { usageLedger } from '../db/schema';
import { AGENT_TENANT } from '../kernel/search-attributes';
import { anthropicReply, openAiReply, startFakeLlm } from './support/fake-llm';
import { useStack } from './support/suite';
import { waitFor } from './support/wait';

setDefaultTimeout(120_000);

const fake = startFakeLlm();
const suite = useStack({ database: 'postgres', env: { OPENAI_BASE_URL: `${fake.url}/v1`, ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: 'sk-ant-test' } });

describe('claims, tested', () => {
  test('AgentTenant is a search attribute the Temporal UI can filter by', async () => {
    const tenant = `acme${Math.random().toString(36).slice(2, 8)}`;
    const a = await suite.agents.spawn({ name: 'tenanted', model: 'scripted:1', tenant });
    await suite.agents.settle(a.id);
    const described = await suite.stack.client.workflow.getHandle(a.id).describe();
    expect(described.typedSearchAttributes.get(AGENT_TENANT)).toBe(tenant);
    const found = await waitFor(
      async () => {
        const ids: string[] = [];
        for await (const wf of suite.stack.client.workflow.list({ query: `AgentTenant = '${tenant}'` })) ids.push(wf.workflowId);
        return ids;
      },
      (ids) => ids.length > 0,
      15_000,
      'the visibility query',
    );
    expect(found).toEqual([a.id]);
  });

  test('Anthropic as an agent’s model, through a real step: its wire format, its usage billed', async () => {
    fake.respond = (body) => ((body as { model?: string }).model === 'claude-fake' ? anthropicReply('Bonjour from Claude') : undefined);
    const a = await suite.agents.spawn({ name: 'claude', model: 'anthropic:claude-fake', input: 'Say hello in French.' });
    const done = await suite.agents.settle(a.id);
    expect(done).toMatchObject({ status: 'completed', step: 1, result: 'Bonjour from Claude', exitReason: 'final_answer' });
    const request = fake.requests.find((r) => r.path === '/v1/messages')!;
    expect(request.headers['x-api-key']).toBe('sk-ant-test');
    const body = request.body as { system: string; messages: Array<{ role: string; content: unknown }>; max_tokens: number };
    expect(body.system).toContain('Goal: exercise the kernel');
    expect(JSON.stringify(body.messages)).toContain('Say hello in French.');
    const [line] = await suite.stack.db.db.select().from(usageLedger).where(and(eq(usageLedger.agentId, a.id), eq(usageLedger.part, 'reply')));
    expect(line).toMatchObject({ promptTokens: 21, completionTokens: 9 });
    fake.respond = undefined;
  });

  test('a 429 with Retry-After is retried after that delay, not before', async () => {
    fake.respond = undefined;
    const before = fake.requests.length;
    fake.enqueue({ status: 429, body: { error: { message: 'slow down' } }, headers: { 'retry-after': '2' } }, openAiReply('after the wait'));
    const a = await suite.agents.spawn({ name: 'patient', model: 'openai:patient-model' });
    const done = await suite.agents.settle(a.id);
    expect(done).toMatchObject({ status: 'completed', result: 'after the wait' });
    const mine = fake.requests.slice(before).filter((r) => (r.body as { model?: string }).model === 'patient-model');
    expect(mine).toHaveLength(2);
    expect(mine[1]!.at - mine[0]!.at).toBeGreaterThanOrEqual(1_900);
  });
});
