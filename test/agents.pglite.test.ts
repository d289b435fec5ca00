import { afterAll, beforeAll, expect, test } from 'bun:test';
import { eq } from 'drizzle-orm';
import { agents } from '../db/schema';
import type { Stack } from '../infra/stack';
import { postJson, startTestStack } from './support/stack';

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
  const view = (await (await fetch(`${stack.apiUrl}/agents/${id}`)).json()) as { result: string };
  expect(view.result).toStartWith('Final answer (step 2/2)');
});

test('an agent that hits its step limit completes with exit reason max_steps', async () => {
  const res = await postJson(stack, '/agents', { name: 'limited', role: 'r', goal: 'never finish', input: 'go', model: 'scripted:50', constraints: { maxSteps: 3 } });
  const { id } = (await res.json()) as { id: string };
  const result = await stack.client.workflow.getHandle(id).result();
  expect(result).toMatchObject({ status: 'completed', steps: 3, exitReason: 'max_steps', resultPageId: `${id}.s3.reply` });
});
