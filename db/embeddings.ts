import { sql } from 'drizzle-orm';
import type { PageMeta } from '../kernel/paging/types';
import type { Db } from './client';
import { rowsOf } from './migrate';
import { scopeFilter, type PageScope } from './scope';
import { contextPages } from './schema';

/** What embeds texts (see activities/llm/embedder.ts). */
export interface EmbedFn {
  readonly model: string;
  embed(texts: string[]): Promise<number[][]>;
}

const literal = (v: readonly number[]) => `[${v.map((x) => x.toFixed(6)).join(',')}]`;

/** Embeds the pages in scope that have no embedding yet (index on read), up to `max` per call. */
export async function indexMissing(db: Db, scope: PageScope, embedder: EmbedFn, max = 2_000): Promise<number> {
  const missing = rowsOf<{ id: string; agent_id: string; body: string }>(
    await db.execute(sql`select ${contextPages.id} as id, ${contextPages.agentId} as agent_id, ${contextPages.body} as body from ${contextPages}
      left join page_embeddings e on e.page_id = ${contextPages.id} where e.page_id is null and ${scopeFilter(scope)} limit ${max}`),
  );
  for (let i = 0; i < missing.length; i += 256) {
    const batch = missing.slice(i, i + 256);
    const vectors = await embedder.embed(batch.map((p) => p.body));
    const values = batch.map((p, j) => sql`(${p.id}, ${p.agent_id}, ${embedder.model}, ${literal(vectors[j]!)}::vector)`);
    await db.execute(sql`insert into page_embeddings (page_id, agent_id, model, embedding) values ${sql.join(values, sql`, `)} on conflict (page_id) do nothing`);
  }
  return missing.length;
}

/** The `limit` pages in scope nearest to `query` by cosine similarity (0..1), with their metadata. */
export async function vectorRank(db: Db, scope: PageScope, query: readonly number[], limit = 100): Promise<{ pages: PageMeta[]; similarity: Map<string, number> }> {
  const rows = rowsOf<{ id: string; kind: string; tokens: number; step: number; importance: number; pinned: boolean; last_access_step: number; sim: number }>(
    await db.execute(sql`select ${contextPages.id} as id, ${contextPages.kind} as kind, ${contextPages.tokens} as tokens, ${contextPages.step} as step,
        ${contextPages.importance} as importance, ${contextPages.pinned} as pinned, ${contextPages.lastAccessStep} as last_access_step, 1 - (e.embedding <=> ${literal(query)}::vector) as sim
      from page_embeddings e join ${contextPages} on ${contextPages.id} = e.page_id where ${scopeFilter(scope)} order by e.embedding <=> ${literal(query)}::vector limit ${limit}`),
  );
  return {
    pages: rows.map((r) => ({ id: r.id, kind: r.kind, tokens: r.tokens, step: r.step, importance: r.importance, pinned: r.pinned, lastAccessStep: r.last_access_step })),
    similarity: new Map(rows.map((r) => [r.id, Math.max(0, Number(r.sim))])),
  };
}

