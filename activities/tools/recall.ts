import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { getAgentRecord } from '../../db/agents';
import { rankPages } from '../../db/retrieval';
import { scopeOf } from '../../db/scope';
import { contextPages } from '../../db/schema';
import { refreshMemories, shortMemoryTtl } from '../../db/memories';
import { defineTool } from './registry';

/**
 * The page-fault handler: the model asks for what is not in its window, by query (full-text
 * ranking over every page it may see) or by page id, and the pages come back as the tool result.
 */
export const recall = defineTool({
  name: 'recall',
  description: 'Search your long-term memory (every earlier message, tool result, summary and memory) and bring matching pages back into view. Give a query, or the id of a page mentioned in a summary.',
  args: z
    .object({ query: z.string().min(1).max(1_000).optional(), pageId: z.string().min(1).max(300).optional(), limit: z.number().int().min(1).max(20).default(5) })
    .refine((a) => a.query || a.pageId, 'give a query or a pageId'),
  run: async ({ query, pageId, limit }, ctx) => {
    const agent = await getAgentRecord(ctx.db, ctx.agentId);
    if (!agent) throw new Error(`agent ${ctx.agentId} not found`);
    const scope = scopeOf(agent);
    let ids: string[];
    if (pageId) {
      ids = [pageId];
    } else {
      const ranked = await rankPages(ctx.db, scope, query!, limit + 5);
      ids = [...ranked.relevance.keys()];
    }
    if (ids.length === 0) return `no pages match "${query}"`;
    const visible = new Set(scope.map((s) => s.agentId));
    const rows = (await ctx.db.select().from(contextPages).where(inArray(contextPages.id, ids)))
      .filter((r) => visible.has(r.agentId) && scope.some((s) => s.agentId === r.agentId && (s.upToStep === null || r.step <= s.upToStep)))
      .filter((r) => !(r.meta as { toolName?: string }).toolName?.startsWith('recall'))
      .sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id))
      .slice(0, limit);
    if (rows.length === 0) return pageId ? `page ${pageId} is not visible to this agent` : `no pages match "${query}"`;
    await ctx.db
      .update(contextPages)
      .set({ accessCount: sql`${contextPages.accessCount} + 1` })
      .where(and(eq(contextPages.agentId, ctx.agentId), inArray(contextPages.id, rows.map((r) => r.id))));
    // A short-term memory that is recalled lives again from now.
    const memoryIds = rows.flatMap((r) => ((r.meta as { memoryId?: string }).memoryId ? [(r.meta as { memoryId: string }).memoryId] : []));
    await refreshMemories(ctx.db, memoryIds, await shortMemoryTtl(ctx.db, ctx.agentId));
    return rows.map((r) => `[page ${r.id}, step ${r.step}, ${r.kind}] ${r.body}`).join('\n\n');
  },
});
