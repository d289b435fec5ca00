import { and, desc, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { contextPages } from '../../db/schema';
import { scopeFilter, type PageScope } from '../../db/scope';
import { orTsQuery } from '../../kernel/paging/fts-query';
import type { PageMeta } from '../../kernel/paging/types';
import { PAGE_META as META } from '../../db/retrieval';

/**
 * The retrieval-only baseline ranking: pages in scope against `text` by Postgres full-text search (cover density over an OR
 * query), returning the top `limit` as relevance normalised to 0..1. Works on every Postgres.
 */
export async function coverDensityRank(db: Db, scope: PageScope, text: string, limit = 200): Promise<{ pages: PageMeta[]; relevance: Map<string, number> }> {
  const query = orTsQuery(text);
  if (!query) return { pages: [], relevance: new Map() };
  const tsq = sql`to_tsquery('english', ${query})`;
  const rank = sql<number>`ts_rank_cd(${contextPages.tsv}, ${tsq}, 1)`;
  const rows = await db
    .select({ ...META, rank })
    .from(contextPages)
    .where(and(scopeFilter(scope), sql`${contextPages.tsv} @@ ${tsq}`))
    .orderBy(desc(rank))
    .limit(limit);
  const max = Math.max(0, ...rows.map((r) => Number(r.rank)));
  return { pages: rows.map(({ rank: _rank, ...meta }) => meta), relevance: new Map(rows.map((r) => [r.id, max > 0 ? Number(r.rank) / max : 0])) };
}
