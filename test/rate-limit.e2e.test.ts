import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { and, eq, inArray } from 'drizzle-orm';
import { agentEvents } from '../db/schema';
import { agentClient } from './support/agent-client';
import { waitFor } from './support/wait';
import { useWorkerFleet } from './support/worker-fleet';

// Two worker processes on one Postgres and one Temporal, against a fake OpenAI-compatible provider.
setDefaultTimeout(180_000);

const LIMIT = 6;
const fleet = useWorkerFleet();
const { fake, workers } = fleet;

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
      const ids = spawned.map((a) => a.id);
      const events = await waitFor(
        () => fleet.stack().db.db.select().from(agentEvents).where(and(inArray(agentEvents.agentId, ids), eq(agentEvents.kind, 'step.started'))),
        (rows) => new Set(rows.map((r) => (r.data as { node?: string }).node)).size === 2,
        60_000,
        'steps started on both nodes',
      );
      expect(new Set(events.map((r) => (r.data as { node?: string }).node))).toEqual(new Set(['rl-a', 'rl-b']));
      for (const id of ids) await agents.post(`/agents/${id}/kill`, {});
    } finally {
      fake.respond = undefined;
    }
  });
});
