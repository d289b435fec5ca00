import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { createTestDatabase } from '../test/support/postgres';
import { bm25Pages } from './bm25';
import { openDatabase, type Database } from './client';
import { candidatePages } from './retrieval';
import { agents, contextPages } from './schema';

setDefaultTimeout(120_000);

const TURNS = [
  'Caroline: hey Mel, good to see you',
  'Melanie: hey Caroline, the kids are great',
  'Caroline: I went to a support group yesterday',
  'Melanie: which one was it?',
  'Caroline: the one about adoption agencies, in Boston',
  'Melanie: that sounds brave, Caroline',
  'Caroline: thanks, Mel',
  'Melanie: Caroline, do you paint?',
];

for (const kind of ['postgres', 'pglite'] as const) {
  describe(`BM25 retrieval on ${kind}`, () => {
    let database: Database;
    let drop: (() => Promise<void>) | undefined;
    const scope = [{ agentId: 'conv', upToStep: null }];

    beforeAll(async () => {
      const fresh = kind === 'postgres' ? await createTestDatabase() : undefined;
      drop = fresh?.drop;
      database = await openDatabase(fresh ? { url: fresh.url } : { pgliteDir: 'memory://' });
      await database.db.insert(agents).values({ id: 'conv', name: 'conv', role: 'r', goal: 'g', model: 'scripted', maxSteps: 1, workflowId: 'conv', definition: {} });
      await database.db.insert(contextPages).values(TURNS.map((body, i) => ({ id: `t${i + 1}`, agentId: 'conv', kind: 'message', role: 'user', body, tokens: body.split(' ').length, step: i + 1, purpose: 'turn' })));
    });
    afterAll(async () => {
      await database.close();
      await drop?.();
    });

    test('a rare word outranks a name every page holds, and the hit lends relevance to its neighbours', async () => {
      const rows = await bm25Pages(database.db, scope, 'Where is the adoption agency Caroline went to?', 3);
      const hits = rows.filter((r) => r.relevance !== null);
      expect(hits[0]!.id).toBe('t5');
      expect(hits[0]!.relevance).toBe(1);
      expect(hits.length).toBe(3);
      // Neighbours of the hits (±2 steps, same owner) come back without a score of their own.
      const neighbours = rows.filter((r) => r.relevance === null).map((r) => r.id);
      expect(neighbours.length).toBeGreaterThan(0);
      expect(neighbours.every((id) => !hits.some((h) => h.id === id))).toBe(true);
    });

    test('query syntax in the text is only words; a text with no word finds nothing', async () => {
      expect(await bm25Pages(database.db, scope, "') | !& ::: <->", 5)).toEqual([]);
      const rows = await bm25Pages(database.db, scope, "adoption') & !(boston", 5);
      expect(rows.find((r) => r.relevance === 1)!.id).toBe('t5');
    });

    test('the assembly candidates carry the turn beside the hit with lent relevance', async () => {
      const { relevance } = await candidatePages(database.db, scope, 'adoption agencies', 12, 5);
      expect(relevance.get('t5')).toBe(1);
      expect(relevance.get('t4')).toBeCloseTo(0.6, 5);
      expect(relevance.get('t6')).toBeCloseTo(0.6, 5);
      expect(relevance.get('t3')).toBeCloseTo(0.36, 5);
    });
  });
}
