import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { and, eq } from 'drizzle-orm';
import { createTestDatabase } from '../test/support/postgres';
import { closeAgentRecord } from './agent-close';
import { openDatabase, type Database } from './client';
import { bill, ledgerTotals, releaseReservation, reserveSpend, tenantSpendSince, utcDayStart, type Reservation } from './ledger';
import { agents, usageLedger } from './schema';

setDefaultTimeout(60_000);

describe('reservations against a tenant’s daily cap (a real Postgres, a pool of 6 connections)', () => {
  let database: Database;
  let drop: () => Promise<void>;
  const today = utcDayStart(new Date());
  /** Agents of their own tenant, so each test starts from an empty day. */
  const seed = async (tenant: string, n: number) => {
    const ids = Array.from({ length: n }, (_, i) => `${tenant}-agent-${i}`);
    for (const id of ids) await database.db.insert(agents).values({ id, name: id, role: 'r', goal: 'g', model: 'scripted', maxSteps: 3, workflowId: id, definition: {}, tenant, status: 'running' });
    return ids;
  };
  const call = (tenant: string, agentId: string, fence = 1, estimateUsd = 0.6): Reservation => ({ agentId, branch: 0, step: 1, part: 'reply', tenant, model: 'scripted', estimateUsd, fence });
  const rowOf = async (agentId: string) => (await database.db.select().from(usageLedger).where(and(eq(usageLedger.agentId, agentId), eq(usageLedger.part, 'reply'))))[0];

  beforeAll(async () => {
    const fresh = await createTestDatabase();
    drop = fresh.drop;
    database = await openDatabase({ url: fresh.url, poolSize: 6 });
  });
  afterAll(async () => {
    await database.close();
    await drop();
  });

  test('six concurrent calls of one tenant: each sees the others’ reservations, so only the one that crosses the cap gets through beyond it', async () => {
    const ids = await seed('acme', 6);
    // Each call may cost 0.6 USD; the cap is 1.0: the first fits, the second crosses, the rest are refused.
    const outcomes = await Promise.all(ids.map((id) => reserveSpend(database.db, call('acme', id), 1.0, today)));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(2);
    expect(await tenantSpendSince(database.db, 'acme', today)).toBeCloseTo(1.2, 9);
    // Reservations are not usage.
    expect((await ledgerTotals(database.db, eq(usageLedger.tenant, 'acme'))).spend.costUsd).toBe(0);
  });

  test('a bill reconciles its reservation in place, keeping the estimate; a retried bill changes nothing; a release frees the tenant', async () => {
    const [a, b, c] = await seed('bolt', 3);
    // A cap of 0.8: a reserves 0.6, b sees 0.6 and crosses with its 0.6.
    for (const id of [a!, b!]) expect((await reserveSpend(database.db, call('bolt', id), 0.8, today)).ok).toBe(true);
    await bill(database.db, { agentId: a!, branch: 0, step: 1, part: 'reply', tenant: 'bolt', model: 'scripted', promptTokens: 100, completionTokens: 10, cacheReadTokens: 40, costUsd: 0.25 });
    expect(await rowOf(a!)).toMatchObject({ state: 'billed', costUsd: 0.25, estimatedCostUsd: 0.6, promptTokens: 100, cacheReadTokens: 40 });
    await bill(database.db, { agentId: a!, branch: 0, step: 1, part: 'reply', tenant: 'bolt', model: 'scripted', promptTokens: 999, completionTokens: 999, costUsd: 9 });
    expect((await ledgerTotals(database.db, eq(usageLedger.tenant, 'bolt'))).spend.costUsd).toBe(0.25);
    // a billed 0.25 and b still holds 0.6: 0.85 is over the cap.
    expect((await reserveSpend(database.db, call('bolt', c!), 0.8, today)).ok).toBe(false);
    await releaseReservation(database.db, { agentId: b!, branch: 0, step: 1, part: 'reply' }, 1);
    expect(await tenantSpendSince(database.db, 'bolt', today)).toBeCloseTo(0.25, 9);
    expect((await reserveSpend(database.db, call('bolt', c!), 0.8, today)).ok).toBe(true);
  });

  test('a superseded attempt cannot release the reservation its successor holds under the same key', async () => {
    const [a] = await seed('crux', 1);
    expect((await reserveSpend(database.db, call('crux', a!, 7), 5, today)).ok).toBe(true);
    // A retry of the step (fence 8) takes the reservation over; the old attempt then fails and releases.
    expect((await reserveSpend(database.db, call('crux', a!, 8, 0.9), 5, today)).ok).toBe(true);
    await releaseReservation(database.db, { agentId: a!, branch: 0, step: 1, part: 'reply' }, 7);
    expect(await rowOf(a!)).toMatchObject({ state: 'reserved', reservedBy: 8, costUsd: 0.9 });
    await releaseReservation(database.db, { agentId: a!, branch: 0, step: 1, part: 'reply' }, 8);
    expect(await rowOf(a!)).toBeUndefined();
  });

  test('closing an agent (a kill) drops its reservations, and leaves its bills alone', async () => {
    const [a] = await seed('dune', 1);
    await bill(database.db, { agentId: a!, branch: 0, step: 1, part: 'reply', tenant: 'dune', model: 'scripted', promptTokens: 10, completionTokens: 5, costUsd: 0.1 });
    expect((await reserveSpend(database.db, { ...call('dune', a!), step: 2 }, 5, today)).ok).toBe(true);
    expect(await tenantSpendSince(database.db, 'dune', today)).toBeCloseTo(0.7, 9);
    expect(await closeAgentRecord(database.db, { agentId: a!, runId: 'r', status: 'terminated', exitReason: 'killed', error: null, step: 1, closedBy: 'kernel' })).toBe(true);
    expect(await tenantSpendSince(database.db, 'dune', today)).toBeCloseTo(0.1, 9);
    expect(await rowOf(a!)).toMatchObject({ state: 'billed', costUsd: 0.1 });
  });
});
