/** What the workflow knows of a tool: enough to enforce policy, nothing to run it. */
export interface ToolPolicy {
  name: string;
  requiresApproval: boolean;
  timeoutMs: number;
}

/** A human's decision on a tool call that requires approval. */
export interface ApprovalDecision {
  callId: string;
  approved: boolean;
  approver: string;
  reason?: string;
}

/** A tool call waiting for a decision. */
export interface PendingApproval {
  callId: string;
  tool: string;
  step: number;
}

/**
 * Checks a decision against the pending call: it must name that exact call id (a stale or
 * made-up id is refused) and come from someone other than the agent itself.
 */
export function validateApproval(pending: PendingApproval | null, decision: ApprovalDecision, agentId: string): string | null {
  if (!pending) return `no tool call is waiting for approval (got ${decision.callId})`;
  if (decision.callId !== pending.callId) return `stale or unknown approval: ${decision.callId} is not the pending call ${pending.callId}`;
  if (!decision.approver.trim()) return 'an approval must name its approver';
  if (decision.approver === agentId) return 'an agent cannot approve its own tool call';
  return null;
}
