import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { eq } from 'drizzle-orm';
import { verifyAuditChain } from '../db/audit';
import { agents, auditLog, contextPages } from '../db/schema';
import type { Stack } from '../infra/stack';
import { AGENT_NAME, AGENT_STATE, AGENT_STEP } from '../kernel/search-attributes';
import { openAiReply, startFakeLlm } from './support/fake-llm';
import { postJson, startTestStack } from './support/stack';
import { rootFetch } from './support/keys';

// This suite starts real servers; bun's 5 s default is too short for its hooks.
setDefaultTimeout(120_000);

// One real Temporal dev server, one fresh Postgres database, one worker and the API for this file.
const fake = startFakeLlm();
let stack: Stack;
beforeAll(async () => {
  stack = await startTestStack({ database: 'postgres', env: { OPENAI_BASE_URL: `${fake.url}/v1` } });
});
afterAll(async () => {
  await stack?.stop();
  await fake.stop();
});

interface View {
  id: string;
  status: string;
  step: number;
  live: boolean;
  result: string | null;
  error: string | null;
  exitReason: string | null;
  usage: { promptTokens: number; completionTokens: number; totalTokens: number; costUsd: number };
  workflow: { workflowId: string; runId: string | null };
}

async function spawn(body: Record<string, unknown>): Promise<View> {
  const res = await postJson(stack, '/agents', { role: 'a tester', goal: 'prove the stack works', input: 'hello', ...body });
  expect(res.status).toBe(201);
  const view = (await res.json()) as View;
  expect(res.headers.get('location')).toBe(`/agents/${view.id}`);
  return view;
}

async function settle(id: string): Promise<void> {
  await stack.client.workflow.getHandle(id).result().catch(() => undefined);
}

async function get(id: string): Promise<View> {
  const res = await rootFetch(`${stack.apiUrl}/agents/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as View;
}

describe('an agent end to end', () => {
  const secret = `input-marker-${crypto.randomUUID()}`;
  let view: View;

  beforeAll(async () => {
    view = await spawn({ name: 'Scripted Scout', model: 'scripted:4', input: `Please summarise ${secret}` });
    await settle(view.id);
  });

  test('POST /agents starts a workflow named by the agent id', () => {
    expect(view.id).toMatch(/^scripted-scout-[0-9a-z]{10}$/);
    expect(view.workflow.workflowId).toBe(view.id);
    expect(view.workflow.runId).toBeString();
  });

  test('GET /agents/:id returns the completed agent with its result and token usage', async () => {
    const done = await get(view.id);
    expect(done).toMatchObject({ status: 'completed', step: 4, exitReason: 'final_answer', error: null, live: false });
    expect(done.result).toStartWith('Final answer (step 4/4): completed "prove the stack works"');
    expect(done.usage.promptTokens).toBeGreaterThan(0);
    expect(done.usage.completionTokens).toBeGreaterThan(0);
    expect(done.usage.totalTokens).toBe(done.usage.promptTokens + done.usage.completionTokens);
  });

  test('the result, every message and the audit trail live in Postgres', async () => {
    const [row] = await stack.db.db.select().from(agents).where(eq(agents.id, view.id));
    expect(row).toMatchObject({ status: 'completed', step: 4, resultPageId: `${view.id}.s4.reply`, exitReason: 'final_answer' });
    const pages = await stack.db.db.select().from(contextPages).where(eq(contextPages.agentId, view.id));
    expect(pages.map((p) => p.purpose).sort()).toEqual(['input', 'reply', 'reply', 'reply', 'reply']);
    expect(pages.find((p) => p.purpose === 'input')!.body).toContain(secret);
    const audit = await stack.db.db.select().from(auditLog).where(eq(auditLog.subject, view.id));
    expect(audit.map((a) => a.action)).toEqual(['agent.spawned', 'agent.completed']);
    expect(await verifyAuditChain(stack.db.db)).toBeNull();
  });

  test('message bodies never enter the workflow history', async () => {
    const history = await stack.client.workflow.getHandle(view.id).fetchHistory();
    const json = JSON.stringify(history);
    expect(json.length).toBeGreaterThan(1000);
    expect(json).not.toContain(secret);
    expect(json).not.toContain('Final answer');
  });

  test('the agent is visible and named in Temporal: summary, search attributes', async () => {
    const desc = await stack.client.workflow.getHandle(view.id).describe();
    expect(desc.type).toBe('agentWorkflow');
    expect(desc.status.name).toBe('COMPLETED');
    // No user text in search attributes (they are never encrypted): the name is in the encrypted summary.
    expect(desc.typedSearchAttributes.get(AGENT_NAME)).toBeUndefined();
    expect(desc.typedSearchAttributes.get(AGENT_STATE)).toBe('completed');
    expect(desc.typedSearchAttributes.get(AGENT_STEP)).toBe(4);
    expect(await desc.staticSummary()).toBe('Scripted Scout: prove the stack works');
  });

  test('a new run records no patch markers and no TemporalChangeVersion upserts (run version 1)', async () => {
    const twelve = await spawn({ name: 'twelve', model: 'scripted:12', constraints: { maxSteps: 12 } });
    await settle(twelve.id);
    const { events } = await stack.client.workflow.getHandle(twelve.id).fetchHistory();
    const markers = (events ?? []).flatMap((e) => (e.markerRecordedEventAttributes ? [e.markerRecordedEventAttributes.markerName] : []));
    expect(markers.filter((m) => m === 'core_patch')).toEqual([]);
    const upserts = (events ?? []).flatMap((e) => (e.upsertWorkflowSearchAttributesEventAttributes ? [e.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {}] : []));
    expect(upserts.some((fields) => 'TemporalChangeVersion' in fields)).toBe(false);
    const stepOf = (fields: Record<string, { data?: Uint8Array | null }>) => (fields[AGENT_STEP.name]?.data ? JSON.parse(new TextDecoder().decode(fields[AGENT_STEP.name]!.data!)) : undefined);
    // Running at 0, step 10 (every tenth), 12 with the final state: three upserts, no more.
    expect(upserts.map((f) => stepOf(f as Record<string, { data?: Uint8Array | null }>))).toEqual([0, 10, 12]);
    expect((await stack.client.workflow.getHandle(twelve.id).describe()).typedSearchAttributes.get(AGENT_STEP)).toBe(12);
  });

  test('GET /agents/:id/pages returns the conversation in step order', async () => {
    const res = await rootFetch(`${stack.apiUrl}/agents/${view.id}/pages`);
    const { pages } = (await res.json()) as { pages: Array<{ step: number; role: string }> };
    expect(pages.map((p) => [p.step, p.role])).toEqual([[0, 'user'], [1, 'assistant'], [2, 'assistant'], [3, 'assistant'], [4, 'assistant']]);
  });

  test('GET /agents lists it', async () => {
    const res = await rootFetch(`${stack.apiUrl}/agents?limit=100`);
    const { agents: list } = (await res.json()) as { agents: View[] };
    expect(list.map((a) => a.id)).toContain(view.id);
  });
});

describe('live state and real providers', () => {
  test('while a model call is in flight, GET answers from the workflow query', async () => {
    fake.enqueue({ ...openAiReply('slow but sure'), delayMs: 1500 });
    const view = await spawn({ name: 'slow', model: 'openai:fake-model' });
    await Bun.sleep(600);
    const live = await get(view.id);
    expect(live).toMatchObject({ live: true, status: 'running', step: 0 });
    await settle(view.id);
    const done = await get(view.id);
    expect(done).toMatchObject({ status: 'completed', result: 'slow but sure', live: false });
    expect(done.usage).toEqual({ promptTokens: 11, completionTokens: 7, totalTokens: 18, costUsd: 0 });
  });

  test('a 429 is retried and the agent completes', async () => {
    const before = fake.requests.length;
    fake.enqueue({ status: 429, body: { error: { message: 'slow down' } }, headers: { 'retry-after': '1' } }, openAiReply('after the limit'));
    const view = await spawn({ name: 'retried', model: 'openai:fake-model' });
    await settle(view.id);
    expect(await get(view.id)).toMatchObject({ status: 'completed', result: 'after the limit' });
    expect(fake.requests.length - before).toBe(2);
  });

  test('a 401 is not retried: the agent fails with the reason stored', async () => {
    const before = fake.requests.length;
    fake.enqueue({ status: 401, body: { error: { message: 'bad key' } } });
    const view = await spawn({ name: 'unauthorised', model: 'openai:fake-model' });
    await settle(view.id);
    const failed = await get(view.id);
    expect(failed.status).toBe('failed');
    expect(failed.exitReason).toBe('error');
    expect(failed.error).toContain('401');
    expect(fake.requests.length - before).toBe(1);
    const desc = await stack.client.workflow.getHandle(view.id).describe();
    expect(desc.status.name).toBe('FAILED');
  });
});

describe('bad input', () => {
  test('an invalid body is a 400 problem listing the zod issues', async () => {
    const res = await postJson(stack, '/agents', { name: '', role: 'r', goal: 'g', model: 'nope:x', constraints: { maxSteps: -1 } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await res.json()) as { type: string; status: number; detail: string; issues: Array<{ path: string[] }> };
    expect(problem.type).toBe('urn:aok:problem:invalid_input');
    expect(problem.status).toBe(400);
    expect(problem.issues.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['name', 'input', 'model', 'constraints.maxSteps']));
  });

  test('malformed JSON is a 400 problem, not a 500', async () => {
    const res = await rootFetch(`${stack.apiUrl}/agents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });

  test('an unknown agent id is a 404 problem; an unknown route too', async () => {
    const res = await rootFetch(`${stack.apiUrl}/agents/no-such-agent`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { detail: string }).detail).toContain('no-such-agent');
    expect((await rootFetch(`${stack.apiUrl}/nowhere`)).status).toBe(404);
  });

  test('a bad list query is a 400', async () => {
    expect((await rootFetch(`${stack.apiUrl}/agents?limit=0`)).status).toBe(400);
  });
});

describe('operations', () => {
  test('/health reports database and Temporal', async () => {
    const res = await rootFetch(`${stack.apiUrl}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', checks: { database: 'ok', temporal: 'ok' } });
  });

  test('/openapi.json documents the agent routes', async () => {
    const doc = (await (await rootFetch(`${stack.apiUrl}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/agents', '/agents/{id}', '/agents/{id}/pages']));
  });
});
