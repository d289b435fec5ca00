import { setDefaultTimeout, afterAll, describe, expect, test } from 'bun:test';
import { and, eq, sql } from 'drizzle-orm';
import { usageLedger } from '../db/schema';
import { rowsOf } from '../db/raw-rows';
import { openAiReply, startFakeLlm } from './support/fake-llm';
import { parsePrometheus, sumOf } from './support/prometheus';
import { rootFetch } from './support/keys';
import { useStack } from './support/suite';
import { waitFor } from './support/wait';

// These suites start real servers; bun's 5 s default is too short for their hooks.
setDefaultTimeout(120_000);

const fake = startFakeLlm();
afterAll(() => fake.stop());
// A daily cap turns reservations on; it is far above what these tests spend.
const suite = useStack({ database: 'postgres', env: { OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: 'sk-test', TENANT_MAX_COST_USD_PER_DAY: '100' } });
const db = () => suite.stack.db.db;

/** 1,000 input tokens of which 600 cached, 200 output of which 50 reasoning. */
const DETAILED = { prompt_tokens: 1000, completion_tokens: 200, prompt_tokens_details: { cached_tokens: 600 }, completion_tokens_details: { reasoning_tokens: 50 } };

interface Usage {
  steps: number;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  cacheReadTokens: number;
  reasoningTokens: number;
  costUsd: number;
  groups?: Array<{ key: string | null; costUsd: number; promptTokens: number; steps: number }>;
}
const usage = async (query = '') => {
  const res = await rootFetch(`${suite.stack.apiUrl}/tenants/default/usage${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Usage;
};
const cents = (usd: number) => Math.round(usd * 100);

describe('cost a team can bill', () => {
  test('a streamed call is priced from its final usage, cache reads and reasoning at their own prices, and its reservation reconciled', async () => {
    fake.respond = () => ({ ...openAiReply('the answer', 'stop', DETAILED), delayMs: 800 });
    const a = await suite.agents.spawn({ name: 'cached', model: 'openai:gpt-4o', constraints: { maxSteps: 1 } });
    // While the call is in flight its estimate is reserved against the tenant (and is not usage).
    const reserved = await waitFor(() => db().select().from(usageLedger).where(eq(usageLedger.agentId, a.id)), (rows) => rows.some((r) => r.state === 'reserved'), 10_000, 'a reservation');
    expect(reserved[0]!.costUsd).toBe(reserved[0]!.estimatedCostUsd!);
    expect(reserved[0]!.promptTokens).toBe(0);
    // Reservations are not spend: /metrics and /usage agree while the call is in flight.
    const scraped = parsePrometheus(await (await rootFetch(`${suite.stack.apiUrl}/metrics`)).text());
    expect(sumOf(scraped.samples, 'aok_tenant_cost_usd_total', { tenant: 'default' })).toBeCloseTo((await usage()).costUsd, 9);
    await suite.agents.settle(a.id);
    fake.respond = undefined;
    expect(fake.requests.at(-1)!.body).toMatchObject({ stream: true });
    const [row] = await db().select().from(usageLedger).where(and(eq(usageLedger.agentId, a.id), eq(usageLedger.part, 'reply')));
    // gpt-4o: 400 uncached × $2.50 + 600 cached × $1.25 + 200 output × $10, per million.
    expect(row).toMatchObject({ state: 'billed', promptTokens: 1000, cacheReadTokens: 600, completionTokens: 200, reasoningTokens: 50, costUsd: 0.00375 });
    // The estimate stays beside the bill. Here it covered the call: the completion allowance (the step's
    // cap at the output price) outweighs the prompt the provider counted above the kernel's count.
    expect(row!.estimatedCostUsd).toBeGreaterThanOrEqual(row!.costUsd);
    const view = await suite.agents.get(a.id);
    expect(view.usage.costUsd).toBeCloseTo(0.00375, 9);
  }, 30_000);

  test('rollups by agent, crew, tree root, model and day each sum to the totals, and the totals to the ledger, to the cent', async () => {
    const crew = (await (
      await suite.agents.post('/crews', {
        name: 'billed crew',
        nodes: [
          { id: 'a', kind: 'agent', agent: { role: 'r', goal: 'g', input: 'first', model: 'scripted:2' } },
          { id: 'b', kind: 'agent', dependsOn: ['a'], agent: { role: 'r', goal: 'g', input: 'second', model: 'scripted:2' } },
        ],
      })
    ).json()) as { id: string };
    const sub = JSON.stringify({ name: 'helper', role: 'a helper', goal: 'compute', input: 'CALL calculator {"expression":"6*7"}', tools: ['calculator'], maxTotalTokens: 3_000 });
    const parent = await suite.agents.spawn({ name: 'delegator', model: 'scripted:2', tools: ['spawn_agent', 'calculator'], input: `CALL spawn_agent ${sub}`, constraints: { maxTotalTokens: 50_000 } });
    await suite.stack.client.workflow.getHandle(crew.id).result();
    await suite.agents.settle(parent.id);
    const children = await db().execute(sql`select id from agents where parent_id = ${parent.id}`);
    const childId = rowsOf<{ id: string }>(children)[0]!.id;
    await suite.agents.settle(childId);

    const [ledger] = rowsOf<{ cost: number; prompt: number; steps: number }>(
      await db().execute(sql`select coalesce(sum(cost_usd), 0)::float8 as cost, coalesce(sum(prompt_tokens), 0)::int as prompt, (count(*) filter (where part = 'reply'))::int as steps from usage_ledger where tenant = 'default' and state = 'billed'`),
    );
    const totals = await usage();
    expect(cents(totals.costUsd * 1e4)).toBe(cents(ledger!.cost * 1e4));
    expect(totals.promptTokens).toBe(ledger!.prompt);
    expect(totals.steps).toBe(ledger!.steps);
    for (const by of ['agent', 'crew', 'root', 'model', 'day']) {
      const rolled = await usage(`?groupBy=${by}`);
      const sum = rolled.groups!.reduce((n, g) => n + g.costUsd, 0);
      expect({ by, cents: cents(sum * 1e4) }).toEqual({ by, cents: cents(totals.costUsd * 1e4) });
      expect(rolled.groups!.reduce((n, g) => n + g.promptTokens, 0)).toBe(totals.promptTokens);
    }
    // The crew's group holds its two agents; the delegator's tree root holds its child's spend too.
    const byCrew = await usage('?groupBy=crew');
    expect(byCrew.groups!.find((g) => g.key === crew.id)!.steps).toBe(4);
    const byRoot = await usage('?groupBy=root');
    const byAgent = await usage('?groupBy=agent');
    const own = (id: string) => byAgent.groups!.find((g) => g.key === id)!.costUsd;
    expect(byRoot.groups!.find((g) => g.key === parent.id)!.costUsd).toBeCloseTo(own(parent.id) + own(childId), 9);
    const byModel = await usage('?groupBy=model');
    expect(byModel.groups!.map((g) => g.key).sort()).toEqual(['openai:gpt-4o', 'scripted:2']);
    // A window after everything holds nothing.
    expect((await usage(`?from=${new Date(Date.now() + 60_000).toISOString()}`)).costUsd).toBe(0);
  }, 60_000);

  test('a bad rollup question is a 400 problem, not a 500', async () => {
    for (const q of ['?groupBy=tenant', '?from=yesterday', '?from=2026-02-01&to=2026-01-01']) {
      const res = await rootFetch(`${suite.stack.apiUrl}/tenants/default/usage${q}`);
      expect({ q, status: res.status }).toEqual({ q, status: 400 });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });
});
