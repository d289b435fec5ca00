import { sql, type SQL } from 'drizzle-orm';
import type { Db } from './client';
import { rowsOf } from './raw-rows';

/** What usage can be rolled up by: the agent, its crew, the root of its parent/child tree, the model, or the UTC day. */
export const USAGE_GROUPS = ['agent', 'crew', 'root', 'model', 'day'] as const;

/** One way to roll usage up. */
export type UsageGroupBy = (typeof USAGE_GROUPS)[number];

/** Tokens by kind, USD and steps of a set of billed ledger rows. */
export interface UsageTotals {
  steps: number;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  costUsd: number;
}

/** A rollup's question: one tenant, a time window, and optionally a grouping. */
export interface UsageQuery {
  tenant: string;
  /** Inclusive lower bound on when a call was billed. */
  from?: Date;
  /** Exclusive upper bound. */
  to?: Date;
  groupBy?: UsageGroupBy;
}

const SUMS = sql`(count(*) filter (where l.part = 'reply'))::int as steps, count(*)::int as calls,
  coalesce(sum(l.prompt_tokens), 0)::float8 as prompt, coalesce(sum(l.completion_tokens), 0)::float8 as completion,
  coalesce(sum(l.cache_read_tokens), 0)::float8 as cache_read, coalesce(sum(l.cache_write_tokens), 0)::float8 as cache_write,
  coalesce(sum(l.reasoning_tokens), 0)::float8 as reasoning, coalesce(sum(l.cost_usd), 0)::float8 as cost`;

type SumRow = { key?: string | null; steps: number; calls: number; prompt: number; completion: number; cache_read: number; cache_write: number; reasoning: number; cost: number };

const totalsOf = (r: SumRow | undefined): UsageTotals => ({
  steps: Number(r?.steps ?? 0),
  calls: Number(r?.calls ?? 0),
  promptTokens: Number(r?.prompt ?? 0),
  completionTokens: Number(r?.completion ?? 0),
  cacheReadTokens: Number(r?.cache_read ?? 0),
  cacheWriteTokens: Number(r?.cache_write ?? 0),
  reasoningTokens: Number(r?.reasoning ?? 0),
  costUsd: Math.round(Number(r?.cost ?? 0) * 1e9) / 1e9,
});

/** The SQL key of a grouping (`lineage` is joined for crew and root). */
function keyOf(groupBy: UsageGroupBy): SQL {
  switch (groupBy) {
    case 'agent':
      return sql`l.agent_id`;
    case 'model':
      return sql`l.model`;
    case 'day':
      return sql`to_char(l.created_at at time zone 'utc', 'YYYY-MM-DD')`;
    case 'crew':
      return sql`t.crew`;
    case 'root':
      return sql`t.root_id`;
  }
}

/**
 * Rolls a tenant's billed usage up over a window: the totals, and with `groupBy` one row per agent,
 * crew (an agent's own crew, else the nearest ancestor's: a sub-agent's spend is its crew's), root
 * of the parent/child tree, model or UTC day. Reservations of calls in flight are not usage. The
 * groups partition the totals: they sum to them.
 */
export async function usageRollup(db: Db, q: UsageQuery): Promise<{ totals: UsageTotals; groups?: Array<UsageTotals & { key: string | null }> }> {
  const where = sql`l.tenant = ${q.tenant} and l.state = 'billed'${q.from ? sql` and l.created_at >= ${q.from.toISOString()}` : sql``}${q.to ? sql` and l.created_at < ${q.to.toISOString()}` : sql``}`;
  const [totals] = rowsOf<SumRow>(await db.execute(sql`select ${SUMS} from usage_ledger l where ${where}`));
  if (!q.groupBy) return { totals: totalsOf(totals) };
  const tree = q.groupBy === 'crew' || q.groupBy === 'root';
  // Each agent's tree root and nearest crew, walking down from the agents without a (known) parent.
  const lineage = tree
    ? sql`with recursive t as (
        select a.id, a.id as root_id, a.crew_id as crew from agents a
        where a.tenant = ${q.tenant} and (a.parent_id is null or not exists (select 1 from agents p where p.id = a.parent_id))
        union all
        select c.id, t.root_id, coalesce(c.crew_id, t.crew) from agents c join t on c.parent_id = t.id
      ) `
    : sql``;
  const join = tree ? sql` left join t on t.id = l.agent_id` : sql``;
  const key = keyOf(q.groupBy);
  const rows = rowsOf<SumRow>(await db.execute(sql`${lineage}select ${key} as key, ${SUMS} from usage_ledger l${join} where ${where} group by 1 order by cost desc, 1`));
  return { totals: totalsOf(totals), groups: rows.map((r) => ({ key: r.key ?? null, ...totalsOf(r) })) };
}
