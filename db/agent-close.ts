import { and, eq, gt, sql } from 'drizzle-orm';
import { TERMINAL_STATUSES } from '../kernel/agent/lifecycle';
import type { Spend } from '../kernel/cost/budget';
import { appendAuditIn } from './audit';
import type { Db } from './client';
import { EVENTS_CHANNEL } from './events';
import { rowsOf } from './raw-rows';
import { agentEvents, agents, contextPages, leases, usageLedger } from './schema';

/** How an agent's run ended, as the kernel records it. */
export interface Closing {
  agentId: string;
  runId: string;
  status: 'completed' | 'failed' | 'terminated';
  /** final_answer, max_steps, error, killed — or, for runs closed outside the kernel, terminated, cancelled, timed_out. */
  exitReason: string;
  error: string | null;
  step?: number;
  usage?: Spend;
  resultPageId?: string | null;
  /** `kernel`: the workflow reported its own end; `temporal`: the run was closed outside it and reconciled. */
  closedBy: 'kernel' | 'temporal';
}

/**
 * Records an agent's end in one transaction holding its row: the terminal state, its GPU leases
 * released, its cost reservations dropped, the `agent.finished` event (after which no fenced write of
 * the agent can commit) with the NOTIFY for event streams — one statement — and the audit entry (one
 * per run). A row that is already terminal is left alone. Returns whether it closed.
 */
export async function closeAgentRecord(db: Db, c: Closing): Promise<boolean> {
  const terminal = sql.join(TERMINAL_STATUSES.map((s) => sql`${s}`), sql`, `);
  const result = c.resultPageId !== undefined ? sql`, result_page_id = ${c.resultPageId}` : sql``;
  const usage = c.usage ? sql`, prompt_tokens = ${c.usage.promptTokens}, completion_tokens = ${c.usage.completionTokens}, cost_usd = ${c.usage.costUsd}` : sql``;
  const finished = JSON.stringify({ status: c.status, exitReason: c.exitReason, closedBy: c.closedBy });
  return db.transaction(async (tx) => {
    // The update takes the row lock (and re-checks the status after any writer that held it).
    const [row] = rowsOf<{ step: number | null }>(await tx.execute(sql`
      with closed as (
        update ${agents} set status = ${c.status}, step = coalesce(${c.step ?? null}::int, step), exit_reason = ${c.exitReason}, error = ${c.error || null},
          run_id = ${c.runId}, hold = null, hold_detail = null, pending_approval = null, finished_at = now(), updated_at = now()${result}${usage}
        where id = ${c.agentId} and status not in (${terminal})
        returning id, step
      ), freed as (
        delete from ${leases} where holder = ${c.agentId} and exists (select 1 from closed)
      ), unreserved as (
        delete from ${usageLedger} where agent_id = ${c.agentId} and state = 'reserved' and exists (select 1 from closed)
      ), event as (
        insert into ${agentEvents} (agent_id, step, kind, data) select id, step, 'agent.finished', ${finished}::jsonb from closed
        returning agent_id
      )
      select (select step from closed) as step, (select count(*) from (select pg_notify(${EVENTS_CHANNEL}, agent_id) from event) n)::int as notified`));
    if (row?.step === null || row?.step === undefined) return false;
    const step = Number(row.step);
    // A step that committed after the kill was requested but before this close (the cancellation had
    // not reached it yet) is a killed step's too: its reply leaves the agent's view and its bill is marked.
    if (c.status === 'terminated') await discardStepsAfter(tx, c.agentId, step);
    await appendAuditIn(tx, {
      actor: c.closedBy,
      action: `agent.${c.status}`,
      subject: c.agentId,
      data: { exitReason: c.exitReason, steps: step, usage: c.usage ?? null, closedBy: c.closedBy, reason: c.closedBy === 'temporal' ? c.error : null },
      idempotencyKey: `agent.finish:${c.agentId}:${c.runId}`,
    });
    return true;
  });
}

/** Retires the replies of steps after `step` and marks their bills as a killed step's (once). */
async function discardStepsAfter(tx: Db, agentId: string, step: number): Promise<void> {
  await tx
    .update(contextPages)
    .set({ retired: true, meta: sql`${contextPages.meta} || '{"killed": true}'::jsonb` })
    .where(and(eq(contextPages.agentId, agentId), gt(contextPages.step, step), eq(contextPages.retired, false)));
  await tx.execute(sql`
    update ${usageLedger} l set part = 'reply:killed'
    where l.agent_id = ${agentId} and l.step > ${step} and l.part = 'reply' and l.state = 'billed'
      and not exists (select 1 from ${usageLedger} k where k.agent_id = l.agent_id and k.branch = l.branch and k.step = l.step and k.part = 'reply:killed')`);
}
