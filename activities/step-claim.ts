import { ApplicationFailure } from '@temporalio/activity';
import { getAgentRecord, type AgentRow } from '../db/agents';
import type { Db } from '../db/client';
import { claimAgent } from '../db/fence';
import type { PubSub } from '../db/notify';
import { recordRewind } from '../db/rewind';
import type { MidStepCut } from '../db/timeline';
import type { Spend } from '../kernel/cost/budget';
import { runStanding } from './run-identity';

/** What a rewind detected by a step tells its workflow: the new timeline and what the abandoned ones cost. */
export interface DetectedRewind {
  branch: number;
  sunk: Spend;
}

/** An activity attempt's hold on its agent: the row as claimed and the fencing token its writes carry. */
export interface StepClaim {
  agent: AgentRow;
  fence: number;
  rewound?: DetectedRewind;
}

/** What a claim needs to know about the attempt. */
export interface ClaimRequest {
  agentId: string;
  runId: string;
  /** A record this attempt would have returned was written by another run: the workflow was reset. */
  foreignRecord: boolean;
  /** Where a detected reset rewinds to: the boundary, the agent's spend there, and a cut inside a step. */
  boundary: { toStep: number; usage: Spend; cut?: MidStepCut };
}

function agentFinished(row: AgentRow): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`agent ${row.id} is ${row.status}; this attempt may not act for it`, 'AgentFinished');
}

/**
 * Claims the agent for one activity attempt (see {@link claimAgent}). A run started by a Temporal
 * reset — from the UI or CLI as much as from the kernel — is detected here, by the first attempt
 * that finds the old run's records (or an ended agent) where its own should be: the records are
 * rewound with the semantics of `POST /agents/:id/rewind` before it goes on. An ended agent comes
 * back only on positive evidence — Temporal says the latest run was made by a reset after the agent
 * ended — so a start the kernel gave up on never revives itself. An attempt from a run that is no
 * longer the workflow's latest is refused and changes nothing.
 */
export async function claimStep(deps: { db: Db; pubsub: PubSub }, req: ClaimRequest): Promise<StepClaim> {
  let rewound: DetectedRewind | undefined;
  if (req.foreignRecord) {
    const standing = await runStanding();
    if (!standing.latest) throw ApplicationFailure.nonRetryable(`run ${req.runId} of ${req.agentId} is no longer the workflow's latest run`, 'StaleRun');
    rewound = await rewindForReset(deps, req);
  }
  let agent = await claimAgent(deps.db, req.agentId, req.runId);
  if (!agent) {
    const row = await getAgentRecord(deps.db, req.agentId);
    if (!row) throw ApplicationFailure.nonRetryable(`agent ${req.agentId} is not in the database`, 'AgentNotFound');
    if (rewound) throw agentFinished(row);
    rewound = await reviveIfReset(deps, row, req);
    if (!rewound) throw agentFinished(row);
    agent = await claimAgent(deps.db, req.agentId, req.runId);
    if (!agent) throw agentFinished(row);
  }
  return { agent, fence: agent.fence, rewound };
}

/** Rewinds the records for a run a Temporal reset started, to where the request says the reset landed. */
async function rewindForReset(deps: { db: Db; pubsub: PubSub }, req: Omit<ClaimRequest, 'foreignRecord'>): Promise<DetectedRewind> {
  const r = await recordRewind(deps.db, deps.pubsub, { agentId: req.agentId, toStep: req.boundary.toStep, usageAtBoundary: req.boundary.usage, cut: req.boundary.cut, actor: 'temporal', via: 'temporal-reset', runId: req.runId });
  return { branch: r.branch, sunk: r.sunk };
}

/**
 * An ended agent whose workflow was reset after it ended lives again from where the reset landed:
 * returns the rewind, or undefined when the attempt's run is not such a reset (ended under this run,
 * a leftover run, or a start the kernel gave up on).
 */
export async function reviveIfReset(deps: { db: Db; pubsub: PubSub }, row: AgentRow, req: Omit<ClaimRequest, 'foreignRecord'>): Promise<DetectedRewind | undefined> {
  if (row.runId === req.runId) return undefined;
  const standing = await runStanding();
  const endedAt = row.finishedAt ?? row.updatedAt;
  if (!standing.latest || !standing.resetAt || standing.resetAt.getTime() + 1_000 < endedAt.getTime()) return undefined;
  return rewindForReset(deps, req);
}

/** The failure a fenced attempt ends with: nothing of it was kept. */
export function fencedOut(agentId: string, step: number, refusal: 'terminal' | 'superseded'): ApplicationFailure {
  const why = refusal === 'terminal' ? 'the agent ended while it ran (killed or closed)' : 'a newer attempt took the step over';
  return ApplicationFailure.nonRetryable(`step ${step} of ${agentId} was discarded: ${why}`, refusal === 'terminal' ? 'AgentFinished' : 'StepSuperseded');
}
