import { sql } from 'drizzle-orm';
import { orTsQuery } from '../kernel/paging/fts-query';
import { DEFAULT_RETRIEVAL_POLICY, type RankedRow, type RetrievalPolicy } from '../kernel/paging/retrieval-policy';
import type { PageMeta } from '../kernel/paging/types';
import type { Db } from './client';
import { rowsOf } from './raw-rows';
import { contextPages } from './schema';
import { scopeFilter, type PageScope } from './scope';

/** A page found by {@link bm25Pages}: what the policy sees of it, its owner, and its BM25 relevance (null: a neighbour). */
export type Bm25Row = PageMeta & RankedRow;

interface RawRow {
  id: string;
  agent_id: string;
  kind: string;
  tokens: number;
  step: number;
  importance: number;
  pinned: boolean;
  last_access_step: number;
  score: number | null;
}

/**
 * Ranks the pages in scope against `text` by BM25 (Okapi, binary term frequency) over Postgres
 * full-text lexemes, in one statement: document frequencies and the mean length come from the
 * scope itself, so a word every page holds (a speaker's name) weighs nothing and a rare one
 * decides. Returns the top `limit` hits with relevance normalised to 0..1 and, when the policy
 * asks, every page of the same owner within `neighbourSteps` steps of a hit (relevance null).
 * Only [a-z0-9] words reach the query, so no text can inject query syntax.
 */
export async function bm25Pages(db: Db, scope: PageScope, text: string, limit: number, policy: RetrievalPolicy = DEFAULT_RETRIEVAL_POLICY, withNeighbours = true): Promise<Bm25Row[]> {
  const query = orTsQuery(text);
  if (!query) return [];
  const where = scopeFilter(scope);
  const words = query.replaceAll(' | ', ' ');
  const { k1, b } = policy;
  const k = withNeighbours ? Math.max(0, Math.floor(policy.neighbourSteps)) : 0;
  const result = await db.execute(sql`
    with qlex as (select unnest(tsvector_to_array(to_tsvector('english', ${words}))) as lex),
    m as (select id, agent_id, kind, tokens, step, importance, pinned, last_access_step, tsv from ${contextPages}
          where ${where} and tsv @@ to_tsquery('english', ${query})),
    hits as (select m.id, l.lex from m cross join lateral unnest(tsvector_to_array(m.tsv)) as l(lex) where l.lex in (select lex from qlex)),
    df as (select lex, count(*)::float8 as df from hits group by lex),
    stats as (select count(*)::float8 as n, greatest(avg(tokens), 1)::float8 as avgdl from ${contextPages} where ${where}),
    scored as (select h.id, sum(ln(1 + (stats.n - df.df + 0.5) / (df.df + 0.5))) as idf from hits h join df using (lex) cross join stats group by h.id),
    top as (select m.id, m.agent_id, m.kind, m.tokens, m.step, m.importance, m.pinned, m.last_access_step,
                   s.idf * (${k1}::float8 + 1) / (1 + ${k1}::float8 * (1 - ${b}::float8 + ${b}::float8 * m.tokens / stats.avgdl)) as score
            from scored s join m using (id) cross join stats order by score desc, m.step desc limit ${limit}::int)
    select id, agent_id, kind, tokens, step, importance, pinned, last_access_step, score from top
    union all
    select distinct ${contextPages.id}, ${contextPages.agentId}, ${contextPages.kind}, ${contextPages.tokens}, ${contextPages.step}, ${contextPages.importance}, ${contextPages.pinned}, ${contextPages.lastAccessStep}, null::float8
    from top t join ${contextPages} on ${contextPages.agentId} = t.agent_id and ${contextPages.step} between t.step - ${k}::int and t.step + ${k}::int
    where ${k}::int > 0 and ${where} and not exists (select 1 from top u where u.id = ${contextPages.id})`);
  const rows = rowsOf<RawRow>(result);
  const max = Math.max(0, ...rows.map((r) => (r.score === null ? 0 : Number(r.score))));
  return rows.map((r) => ({
    id: r.id,
    owner: r.agent_id,
    kind: r.kind,
    tokens: Number(r.tokens),
    step: Number(r.step),
    importance: Number(r.importance),
    pinned: Boolean(r.pinned),
    lastAccessStep: Number(r.last_access_step),
    relevance: r.score === null ? null : max > 0 ? Number(r.score) / max : 0,
  }));
}
