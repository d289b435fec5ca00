/**
 * Hard budgets against a provider whose tokenizer counts more than the kernel's: the completion is
 * capped to what is left, the prompt reserved at a margin learned from the provider's past bills,
 * the provider's figure billed, and a bill that overshoots stops the agent at once with the
 * overshoot recorded — in tokens and in USD. Written to fail on the code before it.
 */
import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { and, eq } from 'drizzle-orm';
import { agentEvents, auditLog, contextPages, modelCalibration, toolCalls, usageLedger } from '../db/schema';
import { openAiReply, openAiToolCall, startFakeLlm } from './support/fake-llm';
import { useStack } from './support/suite';

setDefaultTimeout(120_000);

const fake = startFakeLlm();
const suite = useStack({ database: 'postgres', env: { OPENAI_BASE_URL: `${fake.url}/v1` } });
const db = () => suite.stack.db.db;

/** The max_tokens of the requests the fake provider received for `model`, in order. */
const maxTokensSent = (model: string) => fake.requests.filter((r) => (r.body as { model?: string }).model === model).map((r) => (r.body as { max_tokens: number }).max_tokens);

describe('hard budgets', () => {
  test('a provider that bills more than the kernel counted: the overshoot is recorded and the agent stops at once, no tool run', async () => {
    fake.respond = (body) => ((body as { model: string }).model === 'overbiller' ? openAiToolCall('calculator', { expression: '1+1' }, { prompt_tokens: 500, completion_tokens: 10 }) : undefined);
    const a = await suite.agents.spawn({ name: 'overbilled', model: 'openai:overbiller', tools: ['calculator'], constraints: { maxTotalTokens: 200 } });
    const held = await suite.agents.until(a.id, (v) => v.hold === 'budget_exhausted', 'the overshoot stop');
    expect(held).toMatchObject({ status: 'suspended', step: 1 });
    const ledger = await db().select().from(usageLedger).where(eq(usageLedger.agentId, a.id));
    expect(ledger.map((l) => ({ part: l.part, prompt: l.promptTokens, completion: l.completionTokens }))).toEqual([{ part: 'reply', prompt: 500, completion: 10 }]);
    const events = await db().select().from(agentEvents).where(and(eq(agentEvents.agentId, a.id), eq(agentEvents.kind, 'budget.overshoot')));
    expect(events.map((e) => e.data)).toEqual([expect.objectContaining({ tokens: 310, costUsd: 0 })]);
    expect(await db().select().from(auditLog).where(and(eq(auditLog.subject, a.id), eq(auditLog.action, 'budget.overshoot')))).toHaveLength(1);
    // The tool the reply asked for did not run while the agent is stopped.
    expect(await db().select().from(toolCalls).where(eq(toolCalls.agentId, a.id))).toEqual([]);
    // The call itself went out capped to the budget (200 minus the reserved prompt), not at the 1,024-token step cap.
    expect(maxTokensSent('overbiller')[0]).toBeLessThan(200);
    await suite.agents.post(`/agents/${a.id}/kill`, {});
  });

  test('the next call reserves the prompt at the margin the provider’s bills taught', async () => {
    // What the first agent's bill taught: the provider counts this model's prompts as ratio × ours.
    const [calibration] = await db().select().from(modelCalibration).where(eq(modelCalibration.model, 'openai:overbiller'));
    const ratio = Math.max(...calibration!.ratios);
    expect(ratio).toBeGreaterThan(2);
    fake.respond = (body) => ((body as { model: string }).model === 'overbiller' ? openAiReply('done', 'stop', { prompt_tokens: 500, completion_tokens: 10 }) : undefined);
    const a = await suite.agents.spawn({ name: 'taught', model: 'openai:overbiller', constraints: { maxTotalTokens: 1_000 } });
    await suite.agents.settle(a.id);
    const [reply] = await db().select().from(contextPages).where(and(eq(contextPages.agentId, a.id), eq(contextPages.purpose, 'reply')));
    const counted = (reply!.stepMetrics as { metrics: { promptTokens: number } }).metrics.promptTokens;
    // The cap is what is left after the prompt reserved at our count × the learned ratio.
    expect(maxTokensSent('overbiller').at(-1)).toBe(1_000 - Math.ceil(counted * ratio));
  });

  test('300 tokens left and the default 1,024-token step cap: the call is made, capped to what is left', async () => {
    fake.respond = (body) => ((body as { model: string }).model === 'exact' ? openAiReply('short answer', 'stop', { prompt_tokens: 40, completion_tokens: 5 }) : undefined);
    const a = await suite.agents.spawn({ name: 'tight', model: 'openai:exact', input: 'hi', constraints: { maxTotalTokens: 300 } });
    const done = await suite.agents.settle(a.id);
    expect(done).toMatchObject({ status: 'completed', step: 1, result: 'short answer' });
    const [cap] = maxTokensSent('exact');
    expect(cap).toBeGreaterThan(100);
    expect(cap).toBeLessThan(300);
  });

  test('maxCostUsd is hard the same way: the USD overshoot of a priced model is billed at list price, recorded, and stops the agent', async () => {
    fake.respond = (body) => ((body as { model: string }).model === 'gpt-4o-mini' ? openAiReply('pricey', 'stop', { prompt_tokens: 2_000, completion_tokens: 10 }) : undefined);
    const a = await suite.agents.spawn({ name: 'usd', model: 'openai:gpt-4o-mini', constraints: { maxCostUsd: 0.0001 } });
    const held = await suite.agents.until(a.id, (v) => v.hold === 'budget_exhausted', 'the USD overshoot stop');
    expect(held.step).toBe(1);
    const [line] = await db().select().from(usageLedger).where(eq(usageLedger.agentId, a.id));
    // gpt-4o-mini: $0.15 / $0.60 per million tokens.
    expect(line!.costUsd).toBeCloseTo((2_000 * 0.15 + 10 * 0.6) / 1e6, 12);
    const [event] = await db().select().from(agentEvents).where(and(eq(agentEvents.agentId, a.id), eq(agentEvents.kind, 'budget.overshoot')));
    expect((event!.data as { costUsd: number }).costUsd).toBeCloseTo(line!.costUsd - 0.0001, 9);
    // Raising the budget lets it go on (it answered already: it completes).
    expect((await suite.agents.post(`/agents/${a.id}/budget`, { maxCostUsd: 0.01 })).status).toBe(200);
    expect(await suite.agents.settle(a.id)).toMatchObject({ status: 'completed', result: 'pricey' });
  });
});
