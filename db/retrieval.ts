import { asc, desc, sql, type SQL } from 'drizzle-orm';
import { scopeFilter, type PageScope } from './scope';
import type { PageMeta } from '../kernel/paging/types';
import { DEFAULT_RETRIEVAL_POLICY, spreadToNeighbours } from '../kernel/paging/retrieval-policy';
import { bm25Pages, type Bm25Row } from './bm25';
import type { Db } from './client';
import { contextPages } from './schema';
import { promptMeta, type PromptRow } from './pages';
import { rowsOf } from './raw-rows';
import { indexMissing, vectorRank, type EmbedFn } from './embeddings';

export type { PageScope } from './scope';

/** The columns the paging policy reads of a page (no body). */
export const PAGE_META = {
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
  return db.select(PAGE_META).from(contextPages).where(scopeFilter(scope)).orderBy(asc(contextPages.step), asc(contextPages.id));
}

/** Pages scoring this high are always candidates, however old (pinned-like memories). */
const IMPORTANT = 0.8;
/** Per-message framing tokens the context charges every page (see build-context.ts). */
export const FRAMING_TOKENS = 4;

/** Vector retrieval where pgvector exists: how to embed, and how much similarity weighs against full-text rank. */
export interface VectorRetrieval {
  embedder: EmbedFn;
  /** Share of relevance from vector similarity (the rest from full-text rank). */
  weight: number;
}

/**
 * The pages the assembly policy can possibly choose under `budget`, without reading every page:
 * pinned and important pages, the newest pages covering the budget, and the `limit` most relevant
 * to the focus text by BM25 (awaited only when ranking is needed), with the turns beside each hit
 * (their relevance lent by the hit, see {@link spreadToNeighbours}). The policy over these equals the policy over all pages.
 */
export async function candidatePages(db: Db, scope: PageScope, focus: string | Promise<string>, budget: number, limit = 200, vectors?: VectorRetrieval, wave?: Promise<FirstWave>): Promise<Candidates> {
  const where = scopeFilter(scope);
  const batch = waveBatch(budget);
  const newest = [desc(contextPages.step), desc(contextPages.id)];
  const { standing, newest: firstRows } = await (wave ?? readFirstWave(db, scope, budget));
  const loaded = new Map<string, PromptRow>();
  const recent: PageMeta[] = [];
  for (const r of firstRows) {
    const row = { id: r.id, kind: r.kind, role: r.role, tokens: Number(r.tokens), step: Number(r.step), importance: Number(r.importance), pinned: Boolean(r.pinned), lastAccessStep: Number(r.lastAccessStep) };
    recent.push({ id: row.id, kind: row.kind, tokens: row.tokens, step: row.step, importance: row.importance, pinned: row.pinned, lastAccessStep: row.lastAccessStep });
    if (r.body !== null) loaded.set(row.id, { id: row.id, kind: row.kind, role: row.role, tokens: row.tokens, step: row.step, body: r.body, meta: typeof r.meta === 'string' ? JSON.parse(r.meta) : r.meta });
  }
  let covered = recent.reduce((n, p) => n + p.tokens, 0);
  let seenAll = recent.length < batch;
  for (let offset = batch; !seenAll && covered < budget; offset += batch) {
    const rows = await db.select(PAGE_META).from(contextPages).where(where).orderBy(...newest).limit(batch).offset(offset);
    for (const r of rows) {
      recent.push(r);
      covered += r.tokens;
    }
    seenAll = rows.length < batch;
  }
  const byId = new Map<string, PageMeta>();
  // Every page in scope was seen and all of them fit (with their framing): the policy takes them all,
  // so no relevance can change the choice and nothing is ranked.
  if (seenAll && recent.reduce((n, p) => n + p.tokens + FRAMING_TOKENS, 0) <= budget) {
    // Pages are still embedded as they come, so similarity is ready when the agent outgrows its window.
    if (vectors) await indexMissing(db, scope, vectors.embedder);
    for (const p of [...standing, ...recent]) byId.set(p.id, p);
    return { pages: [...byId.values()], relevance: new Map(), loaded };
  }
  const text = await focus;
  const near = vectors && text.trim() ? await nearest(db, scope, text, vectors) : undefined;
  const ranked = await bm25Pages(db, scope, text, limit);
  const textual = spreadToNeighbours(ranked);
  for (const p of [...standing, ...recent, ...ranked.map(metaOf), ...(near?.pages ?? [])]) byId.set(p.id, p);
  if (!near || !vectors) return { pages: [...byId.values()], relevance: textual, loaded };
  const relevance = new Map<string, number>();
  for (const id of new Set([...textual.keys(), ...near.similarity.keys()])) {
    relevance.set(id, (1 - vectors.weight) * (textual.get(id) ?? 0) + vectors.weight * (near.similarity.get(id) ?? 0));
  }
  return { pages: [...byId.values()], relevance, loaded };
}

/** The candidates for a step's window, their relevance, and the pages already read whole. */
export interface Candidates {
  pages: PageMeta[];
  relevance: Map<string, number>;
  /** Pages read with their bodies on the way (the newest that fit the budget), by id. */
  loaded: Map<string, PromptRow>;
}

/** A newest page as the first wave reads it: the body only when the page fits the budget on its own. */
interface FirstRow extends PageMeta {
  role: string;
  meta: unknown;
  body: string | null;
}

/** What the first wave of a step's context reads: the standing pages and the newest (newest first). */
export interface FirstWave {
  standing: PageMeta[];
  newest: FirstRow[];
}

/** How many of the newest pages the first wave reads for a budget (the rest, if needed, in batches this size). */
function waveBatch(budget: number): number {
  return Math.max(50, Math.ceil(budget / 8));
}

/**
 * The first wave as two JSON columns of one select (`standing`, `newest`), for a statement of its own
 * or beside other columns (a step reads it with its page statistics): the standing pages (pinned or
 * important) and the newest pages, with the bodies of those that fit the budget on their own (most of
 * them make the window, and a small agent's whole context is here).
 */
export function firstWaveColumns(scope: PageScope, budget: number): SQL {
  const where = scopeFilter(scope);
  return sql`
    (select coalesce(json_agg(json_build_object('id', s.id, 'kind', s.kind, 'tokens', s.tokens, 'step', s.step, 'importance', s.importance, 'pinned', s.pinned, 'lastAccessStep', s.last_access_step)), '[]')
      from (select * from ${contextPages} where ${where} and (${contextPages.pinned} or ${contextPages.importance} >= ${IMPORTANT}) limit 1000) s) as standing,
    (select coalesce(json_agg(json_build_object('id', b.id, 'kind', b.kind, 'role', b.role, 'tokens', b.tokens, 'step', b.step, 'importance', b.importance, 'pinned', b.pinned,
        'lastAccessStep', b.last_access_step, 'meta', ${promptMeta(sql.raw('b.meta'))}, 'body', case when b.cum - b.tokens - ${FRAMING_TOKENS} <= ${budget} then b.body end) order by b.step desc, b.id desc), '[]')
      from (select *, sum(tokens + ${FRAMING_TOKENS}) over (order by step desc, id desc) as cum
            from (select * from ${contextPages} where ${where} order by step desc, id desc limit ${waveBatch(budget)}) n) b) as newest`;
}

/** The first wave from a row holding {@link firstWaveColumns} (JSON parsed by the driver or not). */
export function firstWaveOf(row: { standing: unknown; newest: unknown } | undefined): FirstWave {
  const json = <T>(v: unknown): T[] => (typeof v === 'string' ? (JSON.parse(v) as T[]) : ((v as T[] | null) ?? []));
  return { standing: json<PageMeta>(row?.standing), newest: json<FirstRow>(row?.newest) };
}

/** The first wave in a statement of its own. */
export async function readFirstWave(db: Db, scope: PageScope, budget: number): Promise<FirstWave> {
  return firstWaveOf(rowsOf<{ standing: unknown; newest: unknown }>(await db.execute(sql`select ${firstWaveColumns(scope, budget)}`))[0]);
}

async function nearest(db: Db, scope: PageScope, text: string, vectors: VectorRetrieval) {
  await indexMissing(db, scope, vectors.embedder);
  const [query] = await vectors.embedder.embed([text]);
  const found = await vectorRank(db, scope, query!, 100);
  const max = Math.max(0, ...found.similarity.values());
  return { pages: found.pages, similarity: new Map([...found.similarity].map(([id, s]) => [id, max > 0 ? s / max : 0])) };
}

/**
 * The top `limit` pages in scope for `text`, best first, by BM25 over full-text lexemes (see
 * {@link bm25Pages}), with relevance normalised to 0..1. Works on every Postgres.
 */
export async function rankPages(db: Db, scope: PageScope, text: string, limit = 200): Promise<{ pages: PageMeta[]; relevance: Map<string, number> }> {
  const rows = await bm25Pages(db, scope, text, limit, DEFAULT_RETRIEVAL_POLICY, false);
  return { pages: rows.map(metaOf), relevance: new Map(rows.map((r) => [r.id, r.relevance ?? 0])) };
}

/** What the paging policy sees of a ranked row. */
function metaOf(r: Bm25Row): PageMeta {
  return { id: r.id, kind: r.kind, tokens: r.tokens, step: r.step, importance: r.importance, pinned: r.pinned, lastAccessStep: r.lastAccessStep };
}
