import { and, asc, eq } from 'drizzle-orm';
import { agentRow } from '../../control/views';
import { contextPages } from '../../db/schema';
import type { ApiDeps } from '../deps';

/** The memory metrics each step recorded on its reply page, in step order. */
export async function agentMetrics(deps: ApiDeps, id: string): Promise<Array<Record<string, unknown>>> {
  await agentRow(deps, id);
  const replies = await deps.db.select({ step: contextPages.step, meta: contextPages.meta }).from(contextPages).where(and(eq(contextPages.agentId, id), eq(contextPages.purpose, 'reply'))).orderBy(asc(contextPages.step));
  return replies.map((r) => ({ step: r.step, ...((r.meta as { metrics?: Record<string, unknown> }).metrics ?? {}) }));
}
