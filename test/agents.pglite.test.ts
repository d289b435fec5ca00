import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import { eq } from 'drizzle-orm';
import { agents } from '../db/schema';
import type { Stack } from '../infra/stack';
import { postJson, startTestStack } from './support/stack';
import { rootFetch } from './support/keys';

// This suite starts real servers; bun's 5 s default is too short for its hooks.
setDefaultTimeout(120_000);

// The embedded default: the same stack with PGlite instead of a Postgres server.
let stack: Stack;
beforeAll(async () => {
  stack = await startTestStack({ database: 'pglite' });
});
afterAll(() => stack?.stop());

test('an agent completes end to end on embedded PGlite', async () => {
  expect(stack.db.kind).toBe('pglite');
  const res = await postJson(stack, '/agents', { name: 'embedded', role: 'r', goal: 'run on PGlite', input: 'hi', model: 'scripted:2' });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  const result = await stack.client.workflow.getHandle(id).result();
  expect(result).toMatchObject({ status: 'completed', steps: 2, exitReason: 'final_answer', resultPageId: `${id}.s2.reply` });
  const [row] = await stack.db.db.select().from(agents).where(eq(agents.id, id));
  expect(row?.status).toBe('completed');
  const view = (await (await rootFetch(`${stack.apiUrl}/agents/${id}`)).json()) as { result: string };
  expect(view.result).toStartWith('Final answer (step 2/2)');
});

test('an agent that hits its step limit completes with exit reason max_steps', async () => {
  const res = await postJson(stack, '/agents', { name: 'limited', role: 'r', goal: 'never finish', input: 'go', model: 'scripted:50', constraints: { maxSteps: 3 } });
  const { id } = (await res.json()) as { id: string };
  const result = await stack.client.workflow.getHandle(id).result();
  expect(result).toMatchObject({ status: 'completed', steps: 3, exitReason: 'max_steps', resultPageId: `${id}.s3.reply` });
});

test('where pgvector exists and embeddings are configured, pages are embedded and retrieved by similarity', async () => {
  const vectorStack = await startTestStack({ database: 'pglite', env: { EMBEDDING_MODEL: 'hash', VECTOR_WEIGHT: '0.5' } });
  try {
    expect(vectorStack.db.vector).toBe(true);
    const res = await postJson(vectorStack, '/agents', { name: 'vectors', role: 'r', goal: 'remember paintings', input: 'Melanie painted a sunrise over the lake last summer.', model: 'scripted:2' });
    const { id } = (await res.json()) as { id: string };
    await vectorStack.client.workflow.getHandle(id).result();
    const { rowsOf } = await import('../db/migrate');
    const { sql } = await import('drizzle-orm');
    const rows = rowsOf<{ n: number; model: string }>(await vectorStack.db.db.execute(sql`select count(*)::int as n, min(model) as model from page_embeddings where agent_id = ${id}`));
    expect(rows[0]!.n).toBeGreaterThanOrEqual(2);
    expect(rows[0]!.model).toBe('hash-384');
    const { vectorRank } = await import('../db/embeddings');
    const { hashEmbedding } = await import('../kernel/paging/hash-embedding');
    const near = await vectorRank(vectorStack.db.db, [{ agentId: id, upToStep: null }], hashEmbedding('when did Melanie paint the sunrise'), 1);
    expect(near.pages[0]!.id).toBe(`${id}.s0.input`);
  } finally {
    await vectorStack.stop();
  }
});
