import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { and, eq } from 'drizzle-orm';
import { createTestDatabase } from '../test/support/postgres';
import { openDatabase, type Database } from './client';
import { bill, ledgerTotals, releaseReservation, reserveSpend, tenantSpendSince, utcDayStart } from './ledger';
import { agents, usageLedger } from './schema';

setDefaultTimeout(60_000);

describe('reservations against a tenant’s daily cap (a real Postgres, a pool of 6 connections)', () => {
  let database: Database;
  let drop: () => Promise<void>;
  const ids = Array.from({ length: 6 }, (_, i) => `res-agent-${i}`);
  const today = utcDayStart(new Date());

  beforeAll(async () => {
    const fresh = await createTestDatabase();
    drop = fresh.drop;
    database = await openDatabase({ url: fresh.url, poolSize: 6 });
    for (const id of ids) await database.db.insert(agents).values({ id, name: id, role: 'r', goal: 'g', model: 'scripted', maxSteps: 3, workflowId: id, definition: {}, tenant: 'acme' });
  });
  afterAll(async () => {
    await database.close();
    await drop();
  });

  test('six concurrent calls of one tenant: each sees the others’ reservations, so only the one that crosses the cap gets through beyond it', async () => {
    // Each call may cost 0.6 USD; the cap is 1.0: the first fits, the second crosses, the rest are refused.
    const outcomes = await Promise.all(ids.map((agentId) => reserveSpend(database.db, { agentId, branch: 0, step: 1, part: 'reply', tenant: 'acme', model: 'scripted', estimateUsd: 0.6 }, 1.0, today)));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(2);
    expect(await tenantSpendSince(database.db, 'acme', today)).toBeCloseTo(1.2, 9);
    // Reservations are not usage.
    expect((await ledgerTotals(database.db, eq(usageLedger.tenant, 'acme'))).spend.costUsd).toBe(0);
  });

  test('a bill reconciles its reservation in place, keeping the estimate; a released reservation frees the tenant', async () => {
    const reserved = (await database.db.select().from(usageLedger).where(eq(usageLedger.state, 'reserved'))).map((r) => r.agentId);
    const [first, second] = reserved;
    await bill(database.db, { agentId: first!, branch: 0, step: 1, part: 'reply', tenant: 'acme', model: 'scripted', promptTokens: 100, completionTokens: 10, cacheReadTokens: 40, costUsd: 0.25 });
    const [row] = await database.db.select().from(usageLedger).where(and(eq(usageLedger.agentId, first!), eq(usageLedger.part, 'reply')));
    expect(row).toMatchObject({ state: 'billed', costUsd: 0.25, estimatedCostUsd: 0.6, promptTokens: 100, cacheReadTokens: 40 });
    // A second bill for the same call (an activity retry) changes nothing.
    await bill(database.db, { agentId: first!, branch: 0, step: 1, part: 'reply', tenant: 'acme', model: 'scripted', promptTokens: 999, completionTokens: 999, costUsd: 9 });
    expect((await ledgerTotals(database.db, eq(usageLedger.tenant, 'acme'))).spend.costUsd).toBe(0.25);
    await releaseReservation(database.db, { agentId: second!, branch: 0, step: 1, part: 'reply' });
    expect(await tenantSpendSince(database.db, 'acme', today)).toBeCloseTo(0.25, 9);
    // Room again: a new call fits under the cap.
    const again = await reserveSpend(database.db, { agentId: ids[5]!, branch: 0, step: 2, part: 'reply', tenant: 'acme', model: 'scripted', estimateUsd: 0.6 }, 1.0, today);
    expect(again.ok).toBe(true);
  });
});
