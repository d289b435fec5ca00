import { ApplicationFailure } from '@temporalio/activity';
import { getAgentRecord, type AgentRow } from '../db/agents';
import type { Db } from '../db/client';
import { claimAgent } from '../db/fence';
import type { PubSub } from '../db/notify';
import { recordRewind } from '../db/rewind';
import type { MidStepCut } from '../db/timeline';
import type { Spend } from '../kernel/cost/budget';
import { isLatestRun } from './run-identity';

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
 * rewound with the semantics of `POST /agents/:id/rewind` before it goes on. An attempt from a run
 * that is no longer the workflow's latest is refused and changes nothing.
 */
export async function claimStep(deps: { db: Db; pubsub: PubSub }, req: ClaimRequest): Promise<StepClaim> {
  const rewind = async (): Promise<DetectedRewind> => {
    const r = await recordRewind(deps.db, deps.pubsub, { agentId: req.agentId, toStep: req.boundary.toStep, usageAtBoundary: req.boundary.usage, cut: req.boundary.cut, actor: 'temporal', via: 'temporal-reset', runId: req.runId });
    return { branch: r.branch, sunk: r.sunk };
  };
  let rewound: DetectedRewind | undefined;
  if (req.foreignRecord) {
    if (!(await isLatestRun())) throw ApplicationFailure.nonRetryable(`run ${req.runId} of ${req.agentId} is no longer the workflow's latest run`, 'StaleRun');
    rewound = await rewind();
  }
  let agent = await claimAgent(deps.db, req.agentId, req.runId);
  if (!agent) {
    const row = await getAgentRecord(deps.db, req.agentId);
    if (!row) throw ApplicationFailure.nonRetryable(`agent ${req.agentId} is not in the database`, 'AgentNotFound');
    // Ended under this run (killed, closed), or this run is a leftover: nothing to do.
    if (rewound || row.runId === req.runId || !(await isLatestRun())) throw agentFinished(row);
    // A reset of an agent that had ended: it lives again from the boundary the reset chose.
    rewound = await rewind();
    agent = await claimAgent(deps.db, req.agentId, req.runId);
    if (!agent) throw agentFinished(row);
  }
  return { agent, fence: agent.fence, rewound };
}

/** The failure a fenced attempt ends with: nothing of it was kept. */
export function fencedOut(agentId: string, step: number, refusal: 'terminal' | 'superseded'): ApplicationFailure {
  const why = refusal === 'terminal' ? 'the agent ended while it ran (killed or closed)' : 'a newer attempt took the step over';
  return ApplicationFailure.nonRetryable(`step ${step} of ${agentId} was discarded: ${why}`, refusal === 'terminal' ? 'AgentFinished' : 'StepSuperseded');
}
