import { sql } from 'drizzle-orm';
import { TERMINAL_STATUSES } from '../kernel/agent/lifecycle';
import type { AgentRow } from './agents';
import { checkpointId, checkpointState, type BoundaryState } from './checkpoints';
import type { Db } from './client';
import type { PageRow } from './pages';
import { rowFromRaw, rowsOf } from './raw-rows';
import { agentEvents, agents, checkpoints, contextPages, modelCalibration, usageLedger } from './schema';
import { EVENTS_CHANNEL } from './events';
import type { Spend } from '../kernel/cost/budget';

/** What a step attempt starts from: the reply already stored for the step (if any), else the claimed agent. */
export interface StepStart {
  /** The reply page at this step, written by an earlier attempt (this run's or, after a reset, another's). */
  prior?: PageRow;
  /** The agent as claimed (next fencing token, this run); absent when there was a prior reply or the agent is terminal. */
  agent?: AgentRow;
  /** The agent's own spend in the ledger (every timeline, discarded bills too), when asked for. */
  spend?: Spend;
  /** The model's recent billed-over-counted prompt ratios, when asked for. */
  promptRatios?: number[];
}

/** Where the step starts: the agent, the step, the attempt's run and the boundary to checkpoint. */
export interface StepStartRequest {
  agentId: string;
  step: number;
  runId: string;
  /** The boundary before this step (recorded as the checkpoint of step − 1 when the claim succeeds). */
  boundary?: { historyEventId: number; state: BoundaryState };
  /** Also read the agent's ledger totals (the step's budget check needs them). */
  ledger?: boolean;
  /** Also read this model's prompt calibration (a limited budget reserves the prompt at its margin). */
  calibrationOf?: string;
  /** The data of the step's `step.started` event, written (with the NOTIFY for event streams) when the claim succeeds. */
  started?: Record<string, unknown>;
}

/**
 * Starts a step attempt in one statement (one round trip, one commit): looks for the step's reply,
 * and when there is none claims the agent (the next fencing token, see `claimAgent`) and records the
 * checkpoint of the boundary before the step, its page table derived in Postgres, and its
 * `step.started` event when asked. A prior reply or a
 * terminal agent changes nothing, and the caller takes the slow path (`claimStep`).
 */
export async function beginStep(db: Db, req: StepStartRequest): Promise<StepStart> {
  const terminal = sql.join(TERMINAL_STATUSES.map((s) => sql`${s}`), sql`, `);
  const at = req.step - 1;
  const checkpoint = req.boundary
    ? sql`, cp as (
        insert into ${checkpoints} (id, agent_id, step, run_id, branch, history_event_id, state)
        select ${checkpointId(req.agentId, at, req.runId)}, claimed.id, ${at}, ${req.runId}, claimed.branch, ${req.boundary.historyEventId}, ${checkpointState(req.agentId, at, req.boundary.state)}
        from claimed
        on conflict do nothing)`
    : sql``;
  // Read in the same statement, beside the claim (one round trip for what the step reads first).
  const ledger = req.ledger
    ? sql`, (select json_build_object('promptTokens', coalesce(sum(prompt_tokens), 0)::int, 'completionTokens', coalesce(sum(completion_tokens), 0)::int, 'costUsd', coalesce(sum(cost_usd), 0)::float8) from ${usageLedger} where agent_id = ${req.agentId} and state = 'billed') as spend`
    : sql``;
  // The step's first event, under the claim's row lock (as a fenced event: no event of a killed step follows agent.finished).
  const started = req.started
    ? sql`, started as (
        insert into ${agentEvents} (agent_id, step, kind, data) select claimed.id, ${req.step}, 'step.started', ${JSON.stringify(req.started)}::jsonb from claimed
        returning agent_id)`
    : sql``;
  const notified = req.started ? sql`, (select count(*) from (select pg_notify(${EVENTS_CHANNEL}, agent_id) from started) n)::int as notified` : sql``;
  const calibration = req.calibrationOf ? sql`, (select to_json(ratios) from ${modelCalibration} where model = ${req.calibrationOf} limit 1) as ratios` : sql``;
  const result = await db.execute(sql`
    with prior as (
      select * from ${contextPages} where agent_id = ${req.agentId} and step = ${req.step} and purpose = 'reply' limit 1
    ), claimed as (
      update ${agents} set fence = fence + 1, run_id = ${req.runId}, updated_at = now()
      where id = ${req.agentId} and status not in (${terminal}) and not exists (select 1 from prior)
      returning *
    )${checkpoint}${started}
    select (select row_to_json(prior) from prior) as prior, (select row_to_json(claimed) from claimed) as agent${ledger}${calibration}${notified}`);
  const [row] = rowsOf<{ prior: Record<string, unknown> | string | null; agent: Record<string, unknown> | string | null; spend?: Record<string, unknown> | string | null; ratios?: number[] | string | null }>(result);
  const json = (v: Record<string, unknown> | string | null | undefined) => (typeof v === 'string' ? (JSON.parse(v) as Record<string, unknown>) : (v ?? undefined));
  const prior = json(row?.prior);
  const agent = json(row?.agent);
  const spend = json(row?.spend);
  const ratios = typeof row?.ratios === 'string' ? (JSON.parse(row.ratios) as number[]) : row?.ratios;
  return {
    ...(prior ? { prior: rowFromRaw(contextPages, prior) } : {}),
    ...(agent ? { agent: rowFromRaw(agents, agent) } : {}),
    ...(spend ? { spend: { promptTokens: Number(spend.promptTokens), completionTokens: Number(spend.completionTokens), costUsd: Number(spend.costUsd) } } : {}),
    ...(req.calibrationOf ? { promptRatios: ratios ?? [] } : {}),
  };
}
