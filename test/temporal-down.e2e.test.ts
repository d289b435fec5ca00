/**
 * The API with Temporal unreachable: every route that needs Temporal answers 503 with Retry-After
 * within a few seconds, stores nothing for the refused request, and the reads that need only
 * Postgres keep working. Written to fail on the code before it (500 after ~20 s, messages stored).
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { count, eq } from 'drizzle-orm';
import { agents, contextPages } from '../db/schema';
import { useStack } from './support/suite';
import { rootFetch } from './support/keys';

setDefaultTimeout(120_000);

const suite = useStack({ database: 'postgres' });
let waitingId: string;
let doneId: string;

beforeAll(async () => {
  const a = await suite.agents.spawn({ name: 'down-waiting', model: 'scripted:2', tools: ['publish'], input: 'CALL publish {"channel":"c","text":"t"}' });
  waitingId = (await suite.agents.until(a.id, (v) => v.pendingApproval !== null, 'pending approval')).id;
  const d = await suite.agents.spawn({ name: 'down-done', model: 'scripted:1' });
  doneId = (await suite.agents.settle(d.id)).id;
  await suite.stack.temporal.devServer!.stop();
});

/** Sends a request and measures how long the answer took. */
async function timed(path: string, init: RequestInit = {}) {
  const started = performance.now();
  const res = await rootFetch(`${suite.stack.apiUrl}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
  return { res, ms: performance.now() - started };
}

const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const pageCount = async (id: string) => (await suite.stack.db.db.select({ n: count() }).from(contextPages).where(eq(contextPages.agentId, id)))[0]!.n;

describe('Temporal unreachable', () => {
  test('steering a live agent answers 503 with Retry-After within a few seconds', async () => {
    const routes: Array<[string, RequestInit]> = [
      [`/agents/${waitingId}/pause`, post({})],
      [`/agents/${waitingId}/resume`, post({})],
      [`/agents/${waitingId}/kill`, post({})],
      [`/agents/${waitingId}/approvals`, post({ callId: 'x', approved: true, approver: 'a' })],
      [`/agents/${waitingId}/budget`, post({ maxTotalTokens: 10_000 })],
      [`/agents/${waitingId}/priority`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ priority: 2 }) }],
    ];
    for (const [path, init] of routes) {
      const { res, ms } = await timed(path, init);
      expect({ path, status: res.status }).toEqual({ path, status: 503 });
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(ms).toBeLessThan(10_000);
    }
  });

  test('a message is refused with 503 and not stored', async () => {
    const before = await pageCount(waitingId);
    const { res } = await timed(`/agents/${waitingId}/messages`, post({ text: 'are you there?' }));
    expect(res.status).toBe(503);
    expect(await pageCount(waitingId)).toBe(before);
  });

  test('spawn is 503 and its row is marked failed, never left ready', async () => {
    const { res } = await timed('/agents', post({ name: 'down-spawn', role: 'r', goal: 'g', input: 'i' }));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    const ready = await suite.stack.db.db.select({ n: count() }).from(agents).where(eq(agents.status, 'ready'));
    expect(ready[0]!.n).toBe(0);
    const [row] = await suite.stack.db.db.select().from(agents).where(eq(agents.name, 'down-spawn'));
    expect(row).toMatchObject({ status: 'failed' });
    expect(row!.finishedAt).not.toBeNull();
  });

  test('fork is 503 and leaves no ghost agent', async () => {
    const before = await suite.stack.db.db.select({ n: count() }).from(agents);
    const { res } = await timed(`/agents/${doneId}/fork`, post({ input: 'again' }));
    expect(res.status).toBe(503);
    const ready = await suite.stack.db.db.select({ n: count() }).from(agents).where(eq(agents.status, 'ready'));
    expect(ready[0]!.n).toBe(0);
    const after = await suite.stack.db.db.select({ n: count() }).from(agents);
    expect(after[0]!.n).toBeLessThanOrEqual(before[0]!.n + 1);
  });

  test('reads from Postgres still answer, quickly, saying the live state is unknown', async () => {
    const { res, ms } = await timed(`/agents/${waitingId}`);
    expect(res.status).toBe(200);
    expect(ms).toBeLessThan(10_000);
    expect(((await res.json()) as { live: boolean }).live).toBe(false);
    expect((await timed(`/agents/${doneId}/pages`)).res.status).toBe(200);
    expect((await timed('/agents')).res.status).toBe(200);
  });

  test('/health is 503 and says Temporal is down', async () => {
    const { res } = await timed('/health');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'degraded', checks: { database: 'ok', temporal: 'down' } });
  });
});
