import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { and, eq, inArray } from 'drizzle-orm';
import { agentEvents } from '../db/schema';
import { agentClient } from './support/agent-client';
import { rootFetch } from './support/keys';
import { waitFor } from './support/wait';
import { useWorkerFleet } from './support/worker-fleet';

// Two worker processes on one Postgres and one Temporal, against a fake OpenAI-compatible provider.
setDefaultTimeout(180_000);

const LIMIT = 6;
const TOKENS = 3_000;
const PER_CALL = 400;
const fleet = useWorkerFleet();
const { fake, workers } = fleet;

/** Waits until the agents' steps started on both nodes (the limit held across them, not within one), then kills the agents. */
async function expectStepsOnBoth(ids: string[], nodes: [string, string]): Promise<void> {
  const events = await waitFor(
    () => fleet.stack().db.db.select().from(agentEvents).where(and(inArray(agentEvents.agentId, ids), eq(agentEvents.kind, 'step.started'))),
    (rows) => new Set(rows.map((r) => (r.data as { node?: string }).node)).size === 2,
    60_000,
    'steps started on both nodes',
  );
  expect(new Set(events.map((r) => (r.data as { node?: string }).node))).toEqual(new Set(nodes));
  const agents = agentClient(fleet.stack());
  for (const id of ids) await agents.post(`/agents/${id}/kill`, {});
}

describe('cluster-wide provider limits', () => {
  test(`two workers under ${LIMIT} requests a minute send at most ${LIMIT} a minute together`, async () => {
    const env = { LLM_REQUESTS_PER_MINUTE: String(LIMIT), NODE_LEASE_MS: '10000', ...fleet.providerEnv() };
    workers.start({ NODE_ID: 'rl-a', ...env });
    workers.start({ NODE_ID: 'rl-b', ...env });
    const agents = agentClient(fleet.stack());
    const ready = async () => (await fetch(`${fleet.stack().apiUrl}/readyz`)).status;
    await waitFor(ready, (s) => s === 200, 90_000, 'both workers polling');

    fake.respond = () => ({ body: { choices: [{ index: 0, message: { role: 'assistant', content: 'done' }, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: 2 } } });
    try {
      const started = Date.now();
      const spawned = await Promise.all(Array.from({ length: 12 }, (_, i) => agents.spawn({ name: `rl-${i}`, model: 'openai:gpt-4o-mini', input: `question ${i}` })));
      // Watch for 20 s: a full bucket (LIMIT) plus what refills at LIMIT a minute. Two per-node buckets would allow twice the burst.
      await Bun.sleep(20_000);
      const windowMs = Date.now() - started;
      const calls = fake.requests.filter((r) => r.at >= started && r.at <= started + windowMs).length;
      const allowed = LIMIT + Math.ceil((windowMs / 60_000) * LIMIT);
      expect(calls).toBeGreaterThanOrEqual(LIMIT);
      expect(calls).toBeLessThanOrEqual(allowed);

      // Both nodes took model calls: the limit held across them, not within one.
      await expectStepsOnBoth(spawned.map((a) => a.id), ['rl-a', 'rl-b']);
    } finally {
      fake.respond = undefined;
    }
  });

  test(`two workers under ${TOKENS} tokens a minute send at most ${TOKENS} a minute together`, async () => {
    await workers.stopAll();
    const env = { LLM_TOKENS_PER_MINUTE: String(TOKENS), NODE_LEASE_MS: '10000', ...fleet.providerEnv() };
    workers.start({ NODE_ID: 'tpm-a', ...env });
    workers.start({ NODE_ID: 'tpm-b', ...env });
    const agents = agentClient(fleet.stack());
    // The stopped workers' pollers linger in Temporal's view for a while: wait for the new nodes themselves.
    const alive = async () => ((await (await rootFetch(`${fleet.stack().apiUrl}/nodes`)).json()) as { nodes: Array<{ id: string; status: string }> }).nodes.filter((n) => n.id.startsWith('tpm-') && n.status === 'alive').length;
    await waitFor(alive, (n) => n === 2, 90_000, 'both workers alive');

    fake.respond = () => ({ body: { choices: [{ index: 0, message: { role: 'assistant', content: 'done' }, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: 2 } } });
    try {
      const started = Date.now();
      // Each call reserves its prompt plus its completion cap (PER_CALL) against the shared bucket.
      const spawned = await Promise.all(Array.from({ length: 20 }, (_, i) => agents.spawn({ name: `tpm-${i}`, model: 'openai:gpt-4o-mini', input: `question ${i}`, constraints: { maxTokensPerStep: PER_CALL } })));
      await Bun.sleep(20_000);
      const windowMs = Date.now() - started;
      const sent = fake.requests.filter((r) => r.at >= started && r.at <= started + windowMs);
      // What the calls asked for is at most what they were charged (their prompts come on top).
      const asked = sent.reduce((n, r) => n + ((r.body as { max_tokens?: number }).max_tokens ?? 0), 0);
      const allowed = TOKENS + Math.ceil((windowMs / 60_000) * TOKENS);
      expect(sent.length).toBeGreaterThanOrEqual(2);
      expect(asked).toBeLessThanOrEqual(allowed);
      // Two per-node buckets would have let each node spend the whole burst (20 agents, one call each, are more than that allows).
      expect(sent.length).toBeLessThan(Math.floor((2 * TOKENS) / PER_CALL));

      await expectStepsOnBoth(spawned.map((a) => a.id), ['tpm-a', 'tpm-b']);
    } finally {
      fake.respond = undefined;
    }
  });
});
