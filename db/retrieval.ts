import { and, asc, desc, eq, gte, or, sql } from 'drizzle-orm';
import { scopeFilter, type PageScope } from './scope';
import type { PageMeta } from '../kernel/paging/types';
import { orTsQuery } from '../kernel/paging/fts-query';
import type { Db } from './client';
import { contextPages } from './schema';
import { indexMissing, vectorRank, type EmbedFn } from './embeddings';

export type { PageScope } from './scope';

const META = {
  id: contextPages.id,
  kind: contextPages.kind,
  tokens: contextPages.tokens,
  step: contextPages.step,
  importance: contextPages.importance,
  pinned: contextPages.pinned,
  lastAccessStep: contextPages.lastAccessStep,
};

/** Every page in scope, as the paging policy sees it (no bodies), chronological. */
export async function pageMetas(db: Db, scope: PageScope): Promise<PageMeta[]> {
  return db.select(META).from(contextPages).where(scopeFilter(scope)).orderBy(asc(contextPages.step), asc(contextPages.id));
}

/** Pages scoring this high are always candidates, however old (pinned-like memories). */
const IMPORTANT = 0.8;

/**
 * The pages the assembly policy can possibly choose under `budget`, without reading every page:
 * pinned and important pages, the newest pages covering the budget, and the `limit` most relevant
 * to `text` (with their relevance). The policy over these equals the policy over all pages.
 */
/** Vector retrieval where pgvector exists: how to embed, and how much similarity weighs against full-text rank. */
export interface VectorRetrieval {
  embedder: EmbedFn;
  /** Share of relevance from vector similarity (the rest from full-text rank). */
  weight: number;
}

export async function candidatePages(db: Db, scope: PageScope, text: string, budget: number, limit = 200, vectors?: VectorRetrieval): Promise<{ pages: PageMeta[]; relevance: Map<string, number> }> {
  const where = scopeFilter(scope);
  const near = vectors && text.trim() ? await nearest(db, scope, text, vectors) : undefined;
  const [standing, ranked] = await Promise.all([
    db.select(META).from(contextPages).where(and(where, or(eq(contextPages.pinned, true), gte(contextPages.importance, IMPORTANT)))).limit(1_000),
    rankPages(db, scope, text, limit),
  ]);
  const recent: PageMeta[] = [];
  let covered = 0;
  for (let offset = 0, batch = Math.max(50, Math.ceil(budget / 8)); covered < budget; offset += batch) {
    const rows = await db.select(META).from(contextPages).where(where).orderBy(desc(contextPages.step), desc(contextPages.id)).limit(batch).offset(offset);
    for (const r of rows) {
      recent.push(r);
      covered += r.tokens;
    }
    if (rows.length < batch) break;
  }
  const byId = new Map<string, PageMeta>();
  for (const p of [...standing, ...recent, ...ranked.pages, ...(near?.pages ?? [])]) byId.set(p.id, p);
  if (!near || !vectors) return { pages: [...byId.values()], relevance: ranked.relevance };
  const relevance = new Map<string, number>();
  for (const id of new Set([...ranked.relevance.keys(), ...near.similarity.keys()])) {
    relevance.set(id, (1 - vectors.weight) * (ranked.relevance.get(id) ?? 0) + vectors.weight * (near.similarity.get(id) ?? 0));
  }
  return { pages: [...byId.values()], relevance };
}

async function nearest(db: Db, scope: PageScope, text: string, vectors: VectorRetrieval) {
  await indexMissing(db, scope, vectors.embedder);
  const [query] = await vectors.embedder.embed([text]);
  const found = await vectorRank(db, scope, query!, 100);
  const max = Math.max(0, ...found.similarity.values());
  return { pages: found.pages, similarity: new Map([...found.similarity].map(([id, s]) => [id, max > 0 ? s / max : 0])) };
}

/**
 * Ranks pages in scope against `text` with Postgres full-text search (cover density over an OR
 * query), returning the top `limit` as relevance normalised to 0..1. Works on every Postgres.
 */
export async function rankPages(db: Db, scope: PageScope, text: string, limit = 200): Promise<{ pages: PageMeta[]; relevance: Map<string, number> }> {
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
