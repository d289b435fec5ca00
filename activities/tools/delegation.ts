import { count, eq } from 'drizzle-orm';
import { getAgentRecord, type AgentRow } from '../../db/agents';
import type { Db } from '../../db/client';
import { getCrew } from '../../db/crews';
import { agents, crews } from '../../db/schema';
import type { Budget } from '../../kernel/cost/budget';
import { rootMessage } from '../../kernel/errors';
import { reserveBudgetUpdate, childFinishedSignal } from '../../workflows/agent-api';
import type { ToolContext, ToolKernel } from './registry';

/** How deep delegation may go: an agent's sub-agent's sub-agent, and no further (a sub-crew's members count as one level). */
export const MAX_DELEGATION_DEPTH = 3;
/** How many sub-agents and sub-crews one agent may start, together. */
export const MAX_SUB_AGENTS = 8;

/** How many delegating agents stand above an agent: its parent, or the agent that started its crew. */
export async function depthOf(db: Db, row: AgentRow): Promise<number> {
  let depth = 0;
  for (let current: AgentRow | undefined = row; current && depth < 10; depth++) {
    const above: string | null = current.parentId ?? (current.crewId ? ((await getCrew(db, current.crewId))?.parentAgentId ?? null) : null);
    if (!above) break;
    current = await getAgentRecord(db, above);
  }
  return depth;
}

/**
 * Whether `caller` may delegate (to a sub-agent or a sub-crew) work that uses `tools`: the depth
 * and width limits, and no tool the caller lacks. A refusal is the sentence the model reads; null allows.
 */
export async function delegationRefusal(db: Db, caller: AgentRow, tools: readonly string[], what: 'sub-agent' | 'sub-crew'): Promise<string | null> {
  if ((await depthOf(db, caller)) + 1 > MAX_DELEGATION_DEPTH) return `refused: delegation may go ${MAX_DELEGATION_DEPTH} levels deep at most`;
  const [{ n: subAgents } = { n: 0 }] = await db.select({ n: count() }).from(agents).where(eq(agents.parentId, caller.id));
  const [{ n: subCrews } = { n: 0 }] = await db.select({ n: count() }).from(crews).where(eq(crews.parentAgentId, caller.id));
  if (subAgents + subCrews >= MAX_SUB_AGENTS) return `refused: an agent may start ${MAX_SUB_AGENTS} sub-agents and sub-crews at most`;
  const own = (caller.definition as { tools?: string[] }).tools ?? [];
  const extra = [...new Set(tools.filter((t) => !own.includes(t)))];
  return extra.length > 0 ? `refused: a ${what} may only use your own tools (not ${extra.join(', ')})` : null;
}

/**
 * Borrows part of the caller's remaining budget for a delegate (the caller's workflow lends it; asked
 * again for the same delegate, it gives the same grant). A refusal is a sentence for the model.
 */
export async function lendBudget(kernel: ToolKernel, caller: AgentRow, delegateId: string, maxTotalTokens: number | undefined): Promise<Budget | string> {
  try {
    return await kernel.client.workflow.getHandle(caller.workflowId).executeUpdate(reserveBudgetUpdate, { args: [{ childId: delegateId, request: { maxTotalTokens: maxTotalTokens ?? null, maxCostUsd: null } }] });
  } catch (err) {
    return `refused: your budget cannot be lent (${rootMessage(err)})`;
  }
}

/** Gives a loan back to the caller (its delegate never started): the caller settles it as nothing spent. */
export async function returnLoan(kernel: ToolKernel, caller: AgentRow, delegateId: string): Promise<void> {
  await kernel.client.workflow
    .getHandle(caller.workflowId)
    .signal(childFinishedSignal, { childId: delegateId, spent: { promptTokens: 0, completionTokens: 0, costUsd: 0 } })
    .catch(() => undefined);
}

/** Waits for a delegate's result; if the caller is killed meanwhile (the tool call is cancelled), `stop` ends the delegate too. */
export async function awaitDelegate<T>(ctx: ToolContext, result: () => Promise<T>, stop: () => Promise<unknown>): Promise<T> {
  const onAbort = () => void stop().catch(() => undefined);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await result();
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
}
