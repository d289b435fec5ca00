import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { eq, sql } from 'drizzle-orm';
import { agents, idempotencyKeys } from '../db/schema';
import { rootFetch } from './support/keys';
import { useStack } from './support/suite';

setDefaultTimeout(120_000);

const suite = useStack({ database: 'postgres' });
const post = (path: string, body: unknown, key?: string) =>
  rootFetch(`${suite.stack.apiUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) }, body: JSON.stringify(body) });

describe('Idempotency-Key on POST', () => {
  test('a retried spawn gets the same answer and makes one agent; another request with the key is refused', async () => {
    const body = { name: 'once', role: 'r', goal: 'g', input: 'hello', model: 'scripted:2' };
    const first = await post('/agents', body, 'spawn-once-1');
    expect(first.status).toBe(201);
    const a = (await first.json()) as { id: string };
    const again = await post('/agents', body, 'spawn-once-1');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(((await again.json()) as { id: string }).id).toBe(a.id);
    expect((await suite.stack.db.db.select().from(agents).where(eq(agents.name, 'once'))).length).toBe(1);

    // The same key with another body: refused, nothing spawned.
    const other = await post('/agents', { ...body, input: 'something else' }, 'spawn-once-1');
    expect(other.status).toBe(422);
    expect((await suite.stack.db.db.select().from(agents).where(eq(agents.name, 'once'))).length).toBe(1);
    // A bad key is a clear 400; no key behaves as before (two requests, two agents).
    expect((await post('/agents', body, 'has space')).status).toBe(400);
    expect((await post('/agents', { ...body, name: 'twice' })).status).toBe(201);
    expect((await post('/agents', { ...body, name: 'twice' })).status).toBe(201);
    expect((await suite.stack.db.db.select().from(agents).where(eq(agents.name, 'twice'))).length).toBe(2);
  });

  test('a retry while the first request with its key still runs is a 409 that says when to come back; then the first answer is replayed', async () => {
    const body = { name: 'slow-once', role: 'r', goal: 'g', input: 'hello', model: 'scripted:2' };
    // The earlier tests' agents finish first: their steps would wait on the lock below, holding the test pool's connections.
    const everyAgent = await suite.stack.db.db.select({ id: agents.id }).from(agents);
    await Promise.all(everyAgent.map((a) => suite.stack.client.workflow.getHandle(a.id).result().catch(() => undefined)));
    // Hold the agents table so the first spawn waits inside its handler, its key claimed.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const lock = suite.stack.db.db.transaction(async (tx) => {
      await tx.execute(sql`lock table agents in access exclusive mode`);
      locked();
      await held;
    });
    await isLocked;
    const first = post('/agents', body, 'slow-once-1');
    await Bun.sleep(500);
    const retry = await post('/agents', body, 'slow-once-1');
    release();
    await lock;
    expect(retry.status).toBe(409);
    expect(retry.headers.get('retry-after')).toBe('1');
    const answered = await first;
    expect(answered.status).toBe(201);
    const replay = await post('/agents', body, 'slow-once-1');
    expect({ status: replay.status, replayed: replay.headers.get('idempotent-replayed') }).toEqual({ status: 201, replayed: 'true' });
    expect((await suite.stack.db.db.select().from(agents).where(eq(agents.name, 'slow-once'))).length).toBe(1);

    // A claim its process never answered (it died mid-request) does not hold the key for 24 h: after two minutes the key runs again.
    await suite.stack.db.db.insert(idempotencyKeys).values({ tenant: 'default', key: 'abandoned-1', requestHash: 'whatever', createdAt: new Date(Date.now() - 3 * 60_000) });
    const revived = await post('/agents', { ...body, name: 'after-abandoned' }, 'abandoned-1');
    expect(revived.status).toBe(201);
    await suite.stack.db.db.insert(idempotencyKeys).values({ tenant: 'default', key: 'recent-1', requestHash: 'whatever' });
    expect((await post('/agents', { ...body, name: 'after-abandoned' }, 'recent-1')).status).toBe(422);
  });

  test('a refused request is kept too (same answer again); keys are per tenant', async () => {
    const bad = await post('/agents', { name: 'x' }, 'bad-body-1');
    expect(bad.status).toBe(400);
    const replay = await post('/agents', { name: 'x' }, 'bad-body-1');
    expect(replay.status).toBe(400);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const other = ((await (await post('/keys', { name: 'idem-other', tenant: 'hooli', scopes: ['operator'] })).json()) as { key: string }).key;
    const theirs = await fetch(`${suite.stack.apiUrl}/agents`, { method: 'POST', headers: { authorization: `Bearer ${other}`, 'content-type': 'application/json', 'idempotency-key': 'spawn-once-1' }, body: JSON.stringify({ name: 'once', role: 'r', goal: 'g', input: 'hello', model: 'scripted:2' }) });
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
  });
});
