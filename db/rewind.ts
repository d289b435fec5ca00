import type { Spend } from '../kernel/cost/budget';
import { appendAudit } from './audit';
import type { Db } from './client';
import { emitEvent } from './events';
import type { PubSub } from './notify';
import { rewindRecords, type MidStepCut, type RewindOutcome } from './timeline';

/** Who rewound an agent and through which door. */
export interface RewindRequest {
  agentId: string;
  /** The boundary the agent goes back to (the step whose end it resumes from). */
  toStep: number;
  /** The agent's own spend at that boundary (the checkpoint's state). */
  usageAtBoundary: Spend;
  actor: string;
  /** `api`: POST /agents/:id/rewind; `temporal-reset`: a reset from the Temporal UI or CLI, detected by the next step. */
  via: 'api' | 'temporal-reset';
  checkpointId?: string | null;
  /** The run the agent continues in, when known. */
  runId?: string;
  /** A reset that landed inside a step. */
  cut?: MidStepCut;
}

/** A rewind's outcome and what every abandoned timeline spent (a total: it still counts against the budget). */
export type RecordedRewind = RewindOutcome & { sunk: Spend };

/** What the abandoned timelines cost: everything billed minus what the agent had spent at the boundary. */
export function sunkSpend(ledgerTotal: Spend, atBoundary: Spend): Spend {
  return {
    promptTokens: Math.max(0, ledgerTotal.promptTokens - atBoundary.promptTokens),
    completionTokens: Math.max(0, ledgerTotal.completionTokens - atBoundary.completionTokens),
    costUsd: Math.max(0, Math.round((ledgerTotal.costUsd - atBoundary.costUsd) * 1e9) / 1e9),
  };
}

/**
 * Rewinds the agent's records (see {@link rewindRecords}), then records it: an `agent.rewound` event
 * and an audit entry naming the door it came through. The same semantics whether the API asked or a
 * Temporal reset did.
 */
export async function recordRewind(db: Db, pubsub: PubSub, r: RewindRequest): Promise<RecordedRewind> {
  const outcome = await rewindRecords(db, r.agentId, r.toStep, r.cut);
  const sunk = sunkSpend(outcome.ledgerTotal, r.usageAtBoundary);
  await emitEvent(db, pubsub, { agentId: r.agentId, step: r.toStep, kind: 'agent.rewound', data: { checkpointId: r.checkpointId ?? null, branch: outcome.branch, runId: r.runId ?? null, archivedPages: outcome.archivedPages, via: r.via } });
  await appendAudit(db, {
    actor: r.actor,
    action: 'agent.rewind',
    subject: r.agentId,
    data: { checkpointId: r.checkpointId ?? null, toStep: r.toStep, branch: outcome.branch, runId: r.runId ?? null, sunk, copiedToForks: outcome.copiedToForks, via: r.via },
    idempotencyKey: `agent.rewind:${r.agentId}:${outcome.branch}`,
  });
  return { ...outcome, sunk };
}
