import { and, eq, gte, sql, type SQL } from 'drizzle-orm';
import type { Spend } from '../kernel/cost/budget';
import type { Db } from './client';
import { usageLedger } from './schema';

/** What a ledger line paid for: a step's reply or a summary — or either, from an attempt whose result was discarded (the provider charged it all the same). */
export type LedgerPart = 'reply' | 'summary' | `${'reply' | 'summary'}:killed` | `${'reply' | 'summary'}:superseded#${number}`;

/** One line of the usage ledger: what one model call cost, on which timeline and step, and for what. */
export type LedgerEntry = typeof usageLedger.$inferInsert & { part: LedgerPart };

/** The ledger part for a model call whose result a fence refused: killed (the agent ended) or superseded (a newer attempt took over). */
export function discardedPart(part: 'reply' | 'summary', refusal: 'terminal' | 'superseded', fence: number): LedgerPart {
  return refusal === 'terminal' ? `${part}:killed` : `${part}:superseded#${fence}`;
}

/** Records spend once: a retry that bills the same (agent, branch, step, part) again adds nothing. */
export async function bill(db: Db, entry: LedgerEntry): Promise<void> {
  await db.insert(usageLedger).values(entry).onConflictDoNothing();
}

/** The start of the UTC day `now` falls in (tenant daily caps reset then). */
export function utcDayStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/** USD a tenant has spent since `since` (its ledger rows: every model call, summaries included). */
export async function tenantSpendSince(db: Db, tenant: string, since: Date): Promise<number> {
  const [row] = await db
    .select({ costUsd: sql<number>`coalesce(sum(${usageLedger.costUsd}), 0)::float8` })
    .from(usageLedger)
    .where(and(eq(usageLedger.tenant, tenant), gte(usageLedger.createdAt, since)));
  return Number(row?.costUsd ?? 0);
}

/** Totals of the ledger rows matching `where`: the spend, and how many steps it paid for (replies, not summaries). */
export async function ledgerTotals(db: Db, where: SQL | undefined): Promise<{ steps: number; spend: Spend }> {
  const [row] = await db
    .select({
      steps: sql<number>`(count(*) filter (where ${usageLedger.part} = 'reply'))::int`,
      promptTokens: sql<number>`coalesce(sum(${usageLedger.promptTokens}), 0)::int`,
      completionTokens: sql<number>`coalesce(sum(${usageLedger.completionTokens}), 0)::int`,
      costUsd: sql<number>`coalesce(sum(${usageLedger.costUsd}), 0)::float8`,
    })
    .from(usageLedger)
    .where(where);
  return { steps: row?.steps ?? 0, spend: { promptTokens: row?.promptTokens ?? 0, completionTokens: row?.completionTokens ?? 0, costUsd: Number(row?.costUsd ?? 0) } };
}
