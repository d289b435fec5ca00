import { and, eq, gte, sql, type SQL } from 'drizzle-orm';
import type { Spend } from '../kernel/cost/budget';
import type { Db } from './client';
import { usageLedger } from './schema';

/** What a ledger line paid for: a step's reply or a summary — or either, from an attempt whose result was discarded (the provider charged it all the same). */
export type LedgerPart = 'reply' | 'summary' | 'entities' | `${'reply' | 'summary'}:killed` | `${'reply' | 'summary'}:superseded#${number}`;

/** One line of the usage ledger: what one model call cost, on which timeline and step, and for what. */
export type LedgerEntry = typeof usageLedger.$inferInsert & { part: LedgerPart };

/** The ledger part for a model call whose result a fence refused: killed (the agent ended) or superseded (a newer attempt took over). */
export function discardedPart(part: 'reply' | 'summary', refusal: 'terminal' | 'superseded', fence: number): LedgerPart {
  return refusal === 'terminal' ? `${part}:killed` : `${part}:superseded#${fence}`;
}

/** Records spend once: a retry that bills the same (agent, branch, step, part) again adds nothing; a reservation under that key is reconciled (its estimate kept beside the bill). */
export async function bill(db: Db, entry: LedgerEntry): Promise<void> {
  await db
    .insert(usageLedger)
    .values({ ...entry, state: 'billed' })
    .onConflictDoUpdate({
      target: [usageLedger.agentId, usageLedger.branch, usageLedger.step, usageLedger.part],
      set: {
        promptTokens: entry.promptTokens,
        completionTokens: entry.completionTokens,
        cacheReadTokens: entry.cacheReadTokens ?? 0,
        cacheWriteTokens: entry.cacheWriteTokens ?? 0,
        reasoningTokens: entry.reasoningTokens ?? 0,
        costUsd: entry.costUsd,
        state: 'billed',
        createdAt: sql`now()`,
      },
      setWhere: eq(usageLedger.state, 'reserved'),
    });
}

/** How long a reservation counts against its tenant when nothing reconciles it (its worker died and no retry came). */
export const RESERVATION_TTL_MINUTES = 15;

/** Rows that count as spent: billed ones, and reservations of calls still in flight. */
const countsAsSpent = sql`(${usageLedger.state} = 'billed' or ${usageLedger.createdAt} > now() - make_interval(mins => ${RESERVATION_TTL_MINUTES}))`;

/** The ledger key of one model call. */
export interface LedgerKey {
  agentId: string;
  branch: number;
  step: number;
  part: LedgerPart;
}

/** A call about to be made: its key, its tenant and model, and what it may cost at most. */
export interface Reservation extends LedgerKey {
  tenant: string;
  model: string;
  estimateUsd: number;
  /** The fence of the step attempt making the call (a newer attempt takes the reservation over). */
  fence: number;
}

/**
 * Reserves a call's estimated cost against its tenant's daily cap before the call is made, in one
 * transaction under a per-tenant advisory lock: the tenant's spend today (billed rows and the
 * reservations of calls in flight, this call's own earlier one aside) is checked against the cap and
 * the reservation written, so concurrent calls of one tenant see each other and at most one of
 * them crosses the cap. Returns the spend it saw when the cap is already reached.
 */
export async function reserveSpend(db: Db, r: Reservation, capUsd: number, since: Date): Promise<{ ok: true } | { ok: false; spent: number }> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`aok.tenant-spend:${r.tenant}`}))`);
    const [row] = await tx
      .select({ costUsd: sql<number>`coalesce(sum(${usageLedger.costUsd}), 0)::float8` })
      .from(usageLedger)
      .where(
        and(
          eq(usageLedger.tenant, r.tenant),
          gte(usageLedger.createdAt, since),
          countsAsSpent,
          sql`not (${usageLedger.agentId} = ${r.agentId} and ${usageLedger.branch} = ${r.branch} and ${usageLedger.step} = ${r.step} and ${usageLedger.part} = ${r.part})`,
        ),
      );
    const spent = Number(row?.costUsd ?? 0);
    if (spent >= capUsd) return { ok: false as const, spent };
    await tx
      .insert(usageLedger)
      .values({ agentId: r.agentId, branch: r.branch, step: r.step, part: r.part, tenant: r.tenant, model: r.model, promptTokens: 0, completionTokens: 0, costUsd: r.estimateUsd, estimatedCostUsd: r.estimateUsd, reservedBy: r.fence, state: 'reserved' })
      .onConflictDoUpdate({
        target: [usageLedger.agentId, usageLedger.branch, usageLedger.step, usageLedger.part],
        set: { costUsd: r.estimateUsd, estimatedCostUsd: r.estimateUsd, reservedBy: r.fence, createdAt: sql`now()` },
        setWhere: eq(usageLedger.state, 'reserved'),
      });
    return { ok: true as const };
  });
}

/**
 * Drops the reservation an attempt made, when its call will not be billed under its key (it failed,
 * or was billed as discarded). A newer attempt's reservation under the same key is left alone.
 */
export async function releaseReservation(db: Db, key: LedgerKey, fence: number): Promise<void> {
  await db
    .delete(usageLedger)
    .where(and(eq(usageLedger.agentId, key.agentId), eq(usageLedger.branch, key.branch), eq(usageLedger.step, key.step), eq(usageLedger.part, key.part), eq(usageLedger.state, 'reserved'), eq(usageLedger.reservedBy, fence)));
}

/** The start of the UTC day `now` falls in (tenant daily caps reset then). */
export function utcDayStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/** USD a tenant has spent since `since` (its ledger rows: every model call, summaries included, and the reservations of calls in flight). */
export async function tenantSpendSince(db: Db, tenant: string, since: Date): Promise<number> {
  const [row] = await db
    .select({ costUsd: sql<number>`coalesce(sum(${usageLedger.costUsd}), 0)::float8` })
    .from(usageLedger)
    .where(and(eq(usageLedger.tenant, tenant), gte(usageLedger.createdAt, since), countsAsSpent));
  return Number(row?.costUsd ?? 0);
}

/** Totals of the billed ledger rows matching `where`: the spend, and how many steps it paid for (replies, not summaries). */
export async function ledgerTotals(db: Db, where: SQL | undefined): Promise<{ steps: number; spend: Spend }> {
  const [row] = await db
    .select({
      steps: sql<number>`(count(*) filter (where ${usageLedger.part} = 'reply'))::int`,
      promptTokens: sql<number>`coalesce(sum(${usageLedger.promptTokens}), 0)::int`,
      completionTokens: sql<number>`coalesce(sum(${usageLedger.completionTokens}), 0)::int`,
      costUsd: sql<number>`coalesce(sum(${usageLedger.costUsd}), 0)::float8`,
    })
    .from(usageLedger)
    .where(and(eq(usageLedger.state, 'billed'), where));
  return { steps: row?.steps ?? 0, spend: { promptTokens: row?.promptTokens ?? 0, completionTokens: row?.completionTokens ?? 0, costUsd: Number(row?.costUsd ?? 0) } };
}
