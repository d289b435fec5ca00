import { sql, type SQL } from 'drizzle-orm';
import type { Db } from './client';
import { rowsOf } from './raw-rows';
import { orTsQuery } from '../kernel/paging/fts-query';
import type { ToolEvidence } from '../kernel/tools/suggest';

/** One tool's record over a window. */
export interface ToolStats {
  tool: string;
  calls: number;
  succeeded: number;
  failed: number;
  /** Rejected by a person or refused by policy (not allowed, disabled, invalid arguments). */
  refused: number;
  /** Failed over calls that ran (succeeded + failed); null when none ran. */
  errorRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  lastCalledAt: string;
}

/** What to count: a tenant (null: all), one agent, a time window. */
export interface ToolStatsFilter {
  tenant: string | null;
  agentId?: string;
  from?: Date;
  to?: Date;
}

function where(f: ToolStatsFilter): SQL {
  const parts: SQL[] = [sql`true`];
  if (f.tenant !== null) parts.push(sql`a.tenant = ${f.tenant}`);
  if (f.agentId) parts.push(sql`tc.agent_id = ${f.agentId}`);
  if (f.from) parts.push(sql`tc.created_at >= ${f.from.toISOString()}::timestamptz`);
  if (f.to) parts.push(sql`tc.created_at < ${f.to.toISOString()}::timestamptz`);
  return sql.join(parts, sql` and `);
}

/** Calls, outcomes and latency percentiles per tool, from the tool-call records, busiest first. */
export async function toolStats(db: Db, f: ToolStatsFilter): Promise<ToolStats[]> {
  const result = await db.execute(sql`
    select tc.tool,
      count(*)::int as calls,
      (count(*) filter (where tc.status = 'succeeded'))::int as succeeded,
      (count(*) filter (where tc.status = 'failed'))::int as failed,
      (count(*) filter (where tc.status in ('rejected', 'refused')))::int as refused,
      percentile_cont(0.5) within group (order by tc.duration_ms) filter (where tc.status in ('succeeded', 'failed')) as p50,
      percentile_cont(0.95) within group (order by tc.duration_ms) filter (where tc.status in ('succeeded', 'failed')) as p95,
      max(tc.created_at) as last
    from tool_calls tc join agents a on a.id = tc.agent_id
    where ${where(f)}
    group by tc.tool
    order by calls desc, tc.tool`);
  return rowsOf<{ tool: string; calls: number; succeeded: number; failed: number; refused: number; p50: number | string | null; p95: number | string | null; last: Date | string }>(result).map((r) => {
    const ran = r.succeeded + r.failed;
    return {
      tool: r.tool,
      calls: r.calls,
      succeeded: r.succeeded,
      failed: r.failed,
      refused: r.refused,
      errorRate: ran ? Math.round((r.failed / ran) * 1000) / 1000 : null,
      p50Ms: r.p50 === null ? null : Math.round(Number(r.p50)),
      p95Ms: r.p95 === null ? null : Math.round(Number(r.p95)),
      lastCalledAt: new Date(r.last).toISOString(),
    };
  });
}

/**
 * Past calls per tool by agents whose task (role, goal and first input) shares meaningful words with
 * `task`, with how closely the best of those tasks matched (full-text rank). Empty when the task has
 * no meaningful word.
 */
export async function toolEvidence(db: Db, tenant: string | null, task: string): Promise<ToolEvidence[]> {
  const query = orTsQuery(task);
  if (!query) return [];
  const result = await db.execute(sql`
    with alike as (
      select a.id, ts_rank(to_tsvector('english', a.role || ' ' || a.goal || ' ' || coalesce(p.body, '')), to_tsquery('english', ${query})) as rank
      from agents a left join context_pages p on p.agent_id = a.id and p.purpose = 'input'
      where ${tenant === null ? sql`true` : sql`a.tenant = ${tenant}`}
        and to_tsvector('english', a.role || ' ' || a.goal || ' ' || coalesce(p.body, '')) @@ to_tsquery('english', ${query})
    )
    select tc.tool, count(*)::int as calls, (count(*) filter (where tc.status = 'succeeded'))::int as succeeded, max(s.rank)::float8 as similarity
    from tool_calls tc join alike s on s.id = tc.agent_id
    where tc.status in ('succeeded', 'failed')
    group by tc.tool`);
  return rowsOf<{ tool: string; calls: number; succeeded: number; similarity: number }>(result).map((r) => ({ tool: r.tool, calls: r.calls, succeeded: r.succeeded, similarity: Number(r.similarity) }));
}
