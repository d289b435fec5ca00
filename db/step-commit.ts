import type { TokenUsage } from '../kernel/llm/types';
import { sql } from 'drizzle-orm';
import { TERMINAL_STATUSES } from '../kernel/agent/lifecycle';
import type { Spend } from '../kernel/cost/budget';
import type { Db } from './client';
import { EVENTS_CHANNEL } from './events';
import { pageId } from '../kernel/agent/prompt';
import { rowsOf } from './raw-rows';
import { agentEvents, agents, contextPages, usageLedger } from './schema';

/**
 * A page's access statistics are refreshed when it is in a step's window and its last refresh is at
 * least this many steps old: a page that stays in the window is rewritten once per this many steps,
 * not every step (recency for the policy comes from the step a page was written at).
 */
export const ACCESS_REFRESH_STEPS = 8;

/** What a step commits: the reply page, its bill, the agent's row, the event, and the window it read. */
export interface StepCommit {
  agentId: string;
  step: number;
  fence: number;
  branch: number;
  tenant: string;
  model: string;
  body: string;
  tokens: number;
  meta: Record<string, unknown>;
  /** The step's diagnostics, stored beside the page's meta (see `context_pages.step_metrics`). */
  stepMetrics: Record<string, unknown>;
  /** The reply's own bill (summaries of the step were billed when written). */
  bill: Spend & TokenUsage;
  /** The agent's own spend after the step (mirrored onto its row). */
  own: Spend;
  event: Record<string, unknown>;
  /** Streamed text not yet sent as a token event: written just before `step.completed`. */
  tokenText?: string;
  /**
   * Pages in the step's window (their access statistics, see {@link ACCESS_REFRESH_STEPS}); only the
   * agent's own are touched (a fork's or crew's shared pages are not locked by its commit). Passed as
   * one JSON parameter, so the statement's text (and its prepared statement) is the same for every window.
   */
  window: readonly string[];
}

/**
 * Commits a step in one statement (one round trip, one commit), only while the attempt's fence
 * holds: the agent's row is updated under its fence (the update takes the row lock and re-checks the
 * fence after any kill or newer claim that held it), and the reply page, its ledger line, the
 * `step.completed` event, the window's access statistics and the NOTIFY for event streams are
 * written only if it was. Returns `written` (the page is what was sent: nothing is read back), or
 * why nothing was written (`fenced`), or `conflict` when the reply was already there (an earlier
 * attempt's: read it back).
 */
export async function commitStep(db: Db, c: StepCommit): Promise<'written' | 'fenced' | 'conflict'> {
  const terminal = sql.join(TERMINAL_STATUSES.map((s) => sql`${s}`), sql`, `);
  const touched = c.window.length
    ? sql`, touched as (
        update ${contextPages} set last_access_step = ${c.step}, access_count = access_count + 1
        where id in (select jsonb_array_elements_text(${JSON.stringify(c.window)}::jsonb)) and agent_id = ${c.agentId}
          and last_access_step <= ${c.step - ACCESS_REFRESH_STEPS} and exists (select 1 from page))`
    : sql``;
  // The tail of the token stream first, then step.completed (rows are numbered in this order).
  const rows = [...(c.tokenText ? [sql`(1, 'token', ${JSON.stringify({ text: c.tokenText })}::jsonb)`] : []), sql`(2, 'step.completed', ${JSON.stringify(c.event)}::jsonb)`];
  const events = sql.join(rows, sql`, `);
  const result = await db.execute(sql`
    with u as (
      update ${agents} set status = 'running', step = ${c.step}, hold = null, hold_detail = null, pending_approval = null,
        prompt_tokens = ${c.own.promptTokens}, completion_tokens = ${c.own.completionTokens}, cost_usd = ${c.own.costUsd}, updated_at = now()
      where id = ${c.agentId} and fence = ${c.fence} and status not in (${terminal}) and exit_reason is distinct from 'killed'
      returning id
    ), page as (
      insert into ${contextPages} (id, agent_id, step, purpose, kind, role, body, tokens, importance, pinned, last_access_step, meta, step_metrics)
      select ${pageId(c.agentId, c.step, 'reply')}, ${c.agentId}, ${c.step}, 'reply', 'message', 'assistant', ${c.body}, ${c.tokens}, 0.5, false, ${c.step}, ${JSON.stringify(c.meta)}::jsonb, ${JSON.stringify(c.stepMetrics)}::jsonb from u
      on conflict do nothing
      returning id
    ), billed as (
      insert into ${usageLedger} (agent_id, step, branch, part, tenant, model, prompt_tokens, completion_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd)
      select ${c.agentId}, ${c.step}, ${c.branch}, 'reply', ${c.tenant}, ${c.model}, ${c.bill.promptTokens}, ${c.bill.completionTokens},
        ${c.bill.cacheReadTokens ?? 0}, ${c.bill.cacheWriteTokens ?? 0}, ${c.bill.reasoningTokens ?? 0}, ${c.bill.costUsd} from page
      on conflict (agent_id, branch, step, part) do update set prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens,
        cache_read_tokens = excluded.cache_read_tokens, cache_write_tokens = excluded.cache_write_tokens, reasoning_tokens = excluded.reasoning_tokens,
        cost_usd = excluded.cost_usd, state = 'billed', created_at = now()
      where ${usageLedger}.state = 'reserved'
    ), ev as (
      insert into ${agentEvents} (agent_id, step, kind, data)
      select ${c.agentId}, ${c.step}, e.kind, e.data from page, (values ${events}) as e(n, kind, data) order by e.n
    )${touched}
    select (select count(*) from u)::int as claimed, (select count(*) from page)::int as written,
      (select count(*) from (select pg_notify(${EVENTS_CHANNEL}, ${c.agentId}) from page) n)::int as notified`);
  const [row] = rowsOf<{ claimed: number; written: number }>(result);
  if (!row || Number(row.claimed) === 0) return 'fenced';
  return Number(row.written) === 0 ? 'conflict' : 'written';
}
