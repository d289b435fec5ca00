import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { databaseOutage, outageStack } from './support/db-outage';

// The kernel on the real Postgres through a proxy the test cuts: to the kernel, the database goes away
// (every connection dropped, new ones refused) and comes back, with agents stepping all along.
setDefaultTimeout(240_000);

let env: Awaited<ReturnType<typeof outageStack>>;
beforeAll(async () => {
  env = await outageStack();
});
afterAll(() => env?.stop());

describe('a database that goes away under load', () => {
  test('20 agents stepping; Postgres cut for ~8 s: requests answer 503 with Retry-After at once, every step happens exactly once, all finish on their own', async () => {
    const r = await databaseOutage(env, { agents: 20, steps: 12, outageMs: 8_000 });
    // Every request got an answer — 503 with Retry-After, never a 500 or silence.
    expect(r.answers.length).toBeGreaterThanOrEqual(9);
    expect(r.answers.filter((a) => a.status !== 503)).toEqual([]);
    expect(r.answers.every((a) => a.retryAfter !== null)).toBe(true);
    // Within the request deadline (10 s), and the short one (1.5 s) once the outage is known — generous bounds for a loaded machine.
    expect(Math.max(...r.answers.map((a) => a.ms))).toBeLessThan(11_000);
    // A spawn retried with its key after the outage: one agent, however many attempts reached the kernel.
    expect(r.retriedSpawn).toEqual({ status: 201, agentsMade: 1 });
    // Everything resumed on its own: each agent finished, each step exactly once.
    for (const a of r.perAgent) expect(a).toEqual({ id: a.id, replies: 12, replySteps: 12, bills: 12, completions: 12, completionSteps: 12, status: 'completed', step: 12, finished: true });
    expect(r.perAgent).toHaveLength(20);
    expect(r.firstStepAfterBackMs).toBeGreaterThan(0);
  });

  test('a slow database (the agents table locked for 12 s): requests that need it answer 503 within the request deadline (10 s), nothing is lost or doubled', async () => {
    const r = await databaseOutage(env, { agents: 6, steps: 8, outageMs: 12_000, kind: 'lock', key: 'spawn-in-lock' });
    // /health asks only `select 1`, which a table lock does not block; the others wait for the lock.
    const blocked = r.answers.filter((a) => a.what !== 'GET /health');
    expect(blocked.length).toBeGreaterThan(0);
    // Each waits at most the deadline: a 503 then, or its real answer once the lock is gone — never a 500, never silence.
    // A keyed spawn retried while its first request still waits on the lock (its client got the 503) is a 409 that says when to retry.
    expect(blocked.filter((a) => a.status !== 503 && a.status !== 200 && a.status !== 201 && !(a.status === 409 && a.retryAfter !== null))).toEqual([]);
    expect(blocked.some((a) => a.status === 503 && a.retryAfter !== null)).toBe(true);
    expect(Math.max(...blocked.map((a) => a.ms))).toBeLessThan(12_000);
    expect(r.retriedSpawn).toEqual({ status: 201, agentsMade: 1 });
    for (const a of r.perAgent) expect(a).toEqual({ id: a.id, replies: 8, replySteps: 8, bills: 8, completions: 8, completionSteps: 8, status: 'completed', step: 8, finished: true });
  });
});
