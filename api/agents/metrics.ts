import { and, asc, eq } from 'drizzle-orm';
import { getAgentRecord } from '../../db/agents';
import { contextPages } from '../../db/schema';
import { KernelError } from '../../kernel/errors';
import type { ApiDeps } from '../deps';

/** The memory metrics each step recorded on its reply page, in step order. */
export async function agentMetrics(deps: ApiDeps, id: string): Promise<Array<Record<string, unknown>>> {
  if (!(await getAgentRecord(deps.db, id))) throw new KernelError('not_found', `no agent with id "${id}"`);
  const replies = await deps.db.select({ step: contextPages.step, meta: contextPages.meta }).from(contextPages).where(and(eq(contextPages.agentId, id), eq(contextPages.purpose, 'reply'))).orderBy(asc(contextPages.step));
  return replies.map((r) => ({ step: r.step, ...((r.meta as { metrics?: Record<string, unknown> }).metrics ?? {}) }));
}
