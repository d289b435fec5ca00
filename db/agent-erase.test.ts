import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { eq, sql } from 'drizzle-orm';
import { hashEmbedder } from '../activities/llm/embedder';
import { eraseAgent } from './agent-erase';
import { openDatabase, type Database } from './client';
import { indexMissing, vectorRank } from './embeddings';
import { writePage } from './pages';
import { rowsOf } from './raw-rows';
import { agents, contextPages } from './schema';
import { scopeFilter, scopeOf } from './scope';

// PGlite has pgvector: the vector door of a deletion is checked here (the Postgres e2e has none).
setDefaultTimeout(60_000);

describe('erasing an agent on PGlite with pgvector', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase({ pgliteDir: 'memory://' });
  });
  afterAll(() => database.close());

  test('its embeddings go with its pages, and a fork keeps its own copy of what it saw', async () => {
    expect(database.vector).toBe(true);
    const db = database.db;
    await db.insert(agents).values({ id: 'p', name: 'p', role: 'r', goal: 'the goal', model: 'scripted', maxSteps: 3, workflowId: 'p', status: 'completed', definition: {} });
    await db.insert(agents).values({ id: 'f', name: 'f', role: 'r', goal: 'g', model: 'scripted', maxSteps: 3, workflowId: 'f', status: 'completed', definition: { lineage: [{ agentId: 'p', step: 1 }] } });
    await writePage(db, { agentId: 'p', step: 0, purpose: 'input', kind: 'message', role: 'user', body: 'the vault code is 7319' });
    await writePage(db, { agentId: 'p', step: 1, purpose: 'reply', kind: 'message', role: 'assistant', body: 'noted the vault code' });
    await writePage(db, { agentId: 'p', step: 2, purpose: 'reply', kind: 'message', role: 'assistant', body: 'later words the fork never saw' });
    await writePage(db, { agentId: 'f', step: 1, purpose: 'input', kind: 'message', role: 'user', body: 'what was the code?' });
    const parentScope = [{ agentId: 'p', upToStep: null }];
    expect(await indexMissing(db, parentScope, hashEmbedder)).toBe(3);
    const [query] = await hashEmbedder.embed(['vault code']);
    expect((await vectorRank(db, parentScope, query!, 10)).pages.length).toBe(3);

    const erased = await eraseAgent(db, 'p', 'tester', 'request');
    expect(erased).toMatchObject({ pages: 3, forksCopied: ['f'], alreadyErased: false });
    const left = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from page_embeddings where agent_id = 'p'`));
    expect(left[0]!.n).toBe(0);
    expect((await vectorRank(db, parentScope, query!, 10)).pages).toEqual([]);

    // The fork sees the parent's pages up to its fork step as its own now, and nothing after.
    const [fork] = await db.select().from(agents).where(eq(agents.id, 'f'));
    expect((fork!.definition as { lineage: unknown[] }).lineage).toEqual([]);
    const seen = await db.select({ body: contextPages.body }).from(contextPages).where(scopeFilter(scopeOf(fork!)));
    expect(seen.map((p) => p.body).sort()).toEqual(['noted the vault code', 'the vault code is 7319', 'what was the code?']);
    // The fork's copies can be embedded and found again (they are the fork's now).
    expect(await indexMissing(db, scopeOf(fork!), hashEmbedder)).toBe(3);
    // A live agent is refused.
    await db.insert(agents).values({ id: 'live', name: 'l', role: 'r', goal: 'g', model: 'scripted', maxSteps: 3, workflowId: 'live', status: 'running', definition: {} });
    await expect(eraseAgent(db, 'live', 'tester', 'request')).rejects.toThrow('kill it');
  });
});
