import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { and, eq } from 'drizzle-orm';
import { agents, contextPages, memories, usageLedger } from '../db/schema';
import { AGENT_PRIORITY } from '../kernel/search-attributes';
import { inspectingClient } from './support/stack';
import { useStack } from './support/suite';
import { waitFor } from './support/wait';
import { rootFetch, withKey } from './support/keys';

// This suite starts real servers; bun's 5 s default is too short for its hooks.
setDefaultTimeout(120_000);

// One real Temporal dev server, one fresh Postgres database, a node and the API for this file.
const suite = useStack({ database: 'postgres' });

describe('tools', () => {
  test('an allowed tool runs as an activity and its result reaches the model', async () => {
    const a = await suite.agents.spawn({ name: 'calc', model: 'scripted:2', tools: ['calculator'], input: 'CALL calculator {"expression":"6*7"}' });
    const done = await suite.agents.settle(a.id);
    expect(done.status).toBe('completed');
    expect(done.result).toContain('Last tool result: 42');
    const { toolCalls } = (await (await rootFetch(`${suite.stack.apiUrl}/agents/${a.id}/tool-calls`)).json()) as { toolCalls: Array<Record<string, unknown>> };
    expect(toolCalls).toHaveLength(1);
    expect(toolCalls[0]).toMatchObject({ tool: 'calculator', status: 'succeeded', result: '42', arguments: { expression: '6*7' } });
  });

  test('a tool outside the allow-list is refused, and the model is told why', async () => {
    const a = await suite.agents.spawn({ name: 'sneaky', model: 'scripted:2', tools: ['calculator'], input: 'CALL save_memory {"key":"k","content":"v"}' });
    const done = await suite.agents.settle(a.id);
    expect(done.result).toContain('not allowed for this agent');
    const saved = await suite.stack.db.db.select().from(memories).where(eq(memories.agentId, a.id));
    expect(saved).toHaveLength(0);
  });

  test('invalid tool arguments are refused with the zod message', async () => {
    const a = await suite.agents.spawn({ name: 'badargs', model: 'scripted:2', tools: ['calculator'], input: 'CALL calculator {"expr":"1"}' });
    const done = await suite.agents.settle(a.id);
    expect(done.result).toContain('invalid arguments for calculator: expression');
  });

  test('spawning with an unknown tool is a 400', async () => {
    const res = await suite.agents.post('/agents', { name: 'x', role: 'r', goal: 'g', input: 'i', tools: ['rm_rf'] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toContain('unknown tools: rm_rf');
  });

  test('GET /tools lists the registry with JSON schemas', async () => {
    const { tools } = (await (await rootFetch(`${suite.stack.apiUrl}/tools`)).json()) as { tools: Array<{ name: string; requiresApproval: boolean; parameters: { properties: object } }> };
    expect(tools.map((t) => t.name)).toEqual(['calculator', 'current_time', 'publish', 'recall', 'run_code', 'save_memory', 'send_message', 'spawn_agent', 'spawn_crew', 'wait']);
    expect(tools.find((t) => t.name === 'publish')!.requiresApproval).toBe(true);
    expect(Object.keys(tools.find((t) => t.name === 'calculator')!.parameters.properties)).toEqual(['expression']);
  });
});

describe('approvals', () => {
  const input = 'CALL publish {"channel":"news","text":"hello world"}';

  test('a gated call waits; stale ids and self-approval are refused; the exact id approves it', async () => {
    const a = await suite.agents.spawn({ name: 'publisher', model: 'scripted:2', tools: ['publish'], input });
    const waiting = await suite.agents.until(a.id, (v) => v.pendingApproval !== null, 'pending approval');
    expect(waiting).toMatchObject({ status: 'waiting', hold: 'approval', pendingApproval: { tool: 'publish' } });
    const callId = waiting.pendingApproval!.callId;

    const stale = await suite.agents.post(`/agents/${a.id}/approvals`, { callId: 'call_0_0', approved: true, approver: 'alice' });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { detail: string }).detail).toContain('stale or unknown approval');
    // The agent's own key cannot approve its call; naming the agent as approver in the body does nothing.
    const own = (await (await suite.agents.post('/keys', { name: 'own', scopes: ['operator', 'approver'], agentId: a.id })).json()) as { key: string };
    const self = await fetch(`${suite.stack.apiUrl}/agents/${a.id}/approvals`, withKey({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ callId, approved: true, approver: 'alice' }) }, own.key));
    expect(self.status).toBe(403);
    expect(((await self.json()) as { detail: string }).detail).toContain("own credentials cannot approve");
    expect(await suite.stack.db.db.select().from(memories).where(eq(memories.agentId, a.id))).toHaveLength(0);

    const ok = await suite.agents.post(`/agents/${a.id}/approvals`, { callId, approved: true, approver: 'alice' });
    expect(ok.status).toBe(200);
    const done = await suite.agents.settle(a.id);
    expect(done.result).toContain('published to news');
    const published = await suite.stack.db.db.select().from(memories).where(and(eq(memories.agentId, a.id), eq(memories.scope, 'published')));
    expect(published.map((m) => m.content)).toEqual(['hello world']);

    const again = await suite.agents.post(`/agents/${a.id}/approvals`, { callId, approved: true, approver: 'alice' });
    expect(again.status).toBe(409);
  });

  test('a rejected call has no side effect and the model hears the reason', async () => {
    const a = await suite.agents.spawn({ name: 'rejected', model: 'scripted:2', tools: ['publish'], input });
    const waiting = await suite.agents.until(a.id, (v) => v.pendingApproval !== null, 'pending approval');
    const res = await suite.agents.post(`/agents/${a.id}/approvals`, { callId: waiting.pendingApproval!.callId, approved: false, approver: 'bob', reason: 'not today' });
    expect(res.status).toBe(200);
    const done = await suite.agents.settle(a.id);
    // The decision names the authenticated caller, not the body's `approver`.
    expect(done.result).toContain('rejected by key:testroot0000: not today');
    expect(await suite.stack.db.db.select().from(memories).where(eq(memories.agentId, a.id))).toHaveLength(0);
  });
});

describe('lifecycle', () => {
  test('pause suspends at a step boundary; resume continues to the end', async () => {
    const a = await suite.agents.spawn({ name: 'pausable', model: 'scripted:12:40', constraints: { maxSteps: 12 } });
    await suite.agents.until(a.id, (v) => v.step >= 2, 'two steps');
    expect((await suite.agents.post(`/agents/${a.id}/pause`, { reason: 'lunch' })).status).toBe(202);
    const paused = await suite.agents.until(a.id, (v) => v.status === 'suspended', 'suspended');
    expect(paused.hold).toBe('paused');
    await Bun.sleep(300);
    expect((await suite.agents.get(a.id)).step).toBe(paused.step);
    expect((await suite.agents.post(`/agents/${a.id}/resume`, {})).status).toBe(202);
    const done = await suite.agents.settle(a.id);
    expect(done).toMatchObject({ status: 'completed', step: 12, exitReason: 'final_answer' });
  });

  test('kill cancels the in-flight step and terminates the agent', async () => {
    const a = await suite.agents.spawn({ name: 'doomed', model: 'scripted:50:2000', constraints: { maxSteps: 50 } });
    await suite.agents.until(a.id, (v) => v.step >= 1, 'first step', 30_000);
    expect((await suite.agents.post(`/agents/${a.id}/kill`, { reason: 'runaway' })).status).toBe(202);
    const done = await suite.agents.settle(a.id);
    expect(done).toMatchObject({ status: 'terminated', exitReason: 'killed', error: 'runaway' });
    // The step in flight was cancelled (the history says so), and it left no reply, even after its 2 s.
    const history = await suite.stack.client.workflow.getHandle(a.id).fetchHistory();
    expect((history.events ?? []).some((e) => e.activityTaskCancelRequestedEventAttributes)).toBe(true);
    await Bun.sleep(2_500);
    const replies = await suite.stack.db.db.select({ step: contextPages.step }).from(contextPages).where(and(eq(contextPages.agentId, a.id), eq(contextPages.purpose, 'reply')));
    expect(replies.map((r) => r.step).sort((x, y) => x - y)).toEqual(Array.from({ length: done.step }, (_, i) => i + 1));
    expect((await suite.agents.post(`/agents/${a.id}/pause`, {})).status).toBe(409);
  });

  test('priority changes through a validated update and shows in Temporal', async () => {
    const a = await suite.agents.spawn({ name: 'reprioritised', model: 'scripted:10:40', priority: 8 });
    await suite.agents.until(a.id, (v) => v.status === 'running', 'running');
    const res = await suite.agents.put(`/agents/${a.id}/priority`, { priority: 2 });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ priority: 2 });
    expect((await suite.agents.put(`/agents/${a.id}/priority`, { priority: 0 })).status).toBe(400);
    const desc = await suite.stack.client.workflow.getHandle(a.id).describe();
    expect(desc.typedSearchAttributes.get(AGENT_PRIORITY)).toBe(2);
    await suite.agents.post(`/agents/${a.id}/kill`, {});
    await suite.agents.settle(a.id);
  });

  test('a message is stored in Postgres and enters the next step by reference', async () => {
    const a = await suite.agents.spawn({ name: 'listener', model: 'scripted:6:60' });
    await suite.agents.until(a.id, (v) => v.step >= 1, 'first step');
    const res = await suite.agents.post(`/agents/${a.id}/messages`, { text: 'please also mention penguins' });
    expect(res.status).toBe(202);
    const { pageId } = (await res.json()) as { pageId: string };
    const done = await suite.agents.settle(a.id);
    // The model was sent the message: the scripted model quotes the latest user message it received.
    expect(done.result).toContain('the last message says "please also mention penguins"');
    const { pages } = (await (await rootFetch(`${suite.stack.apiUrl}/agents/${a.id}/pages`)).json()) as { pages: Array<{ id: string; body: string }> };
    expect(pages.find((p) => p.id === pageId)?.body).toBe('please also mention penguins');
    const state = await inspectingClient(suite.stack).workflow.getHandle(a.id).query<{ pages: Array<{ id: string }> }>('state');
    expect(state.pages.map((p) => p.id)).toContain(pageId);
    const history = JSON.stringify(await suite.stack.client.workflow.getHandle(a.id).fetchHistory());
    expect(history).not.toContain('penguins');
  });
});

describe('budgets and cost', () => {
  test('the agent suspends with budget_exhausted before the call that would exceed it, and resumes when raised', async () => {
    const a = await suite.agents.spawn({ name: 'frugal', model: 'scripted:4', tenant: 'acme', constraints: { maxTotalTokens: 200, maxTokensPerStep: 64 } });
    const held = await suite.agents.until(a.id, (v) => v.hold === 'budget_exhausted', 'budget stop');
    expect(held.status).toBe('suspended');
    expect(held.usage.totalTokens).toBeLessThanOrEqual(200);
    expect(held.step).toBeGreaterThanOrEqual(1);
    const raised = await suite.agents.post(`/agents/${a.id}/budget`, { maxTotalTokens: 10_000 });
    expect(await raised.json()).toEqual({ maxTotalTokens: 10_000, maxCostUsd: null });
    const done = await suite.agents.settle(a.id);
    expect(done).toMatchObject({ status: 'completed', step: 4 });
    expect((await suite.agents.post(`/agents/${a.id}/budget`, { maxTotalTokens: 20_000 })).status).toBe(409);
  });

  test('a budget cannot be lowered', async () => {
    const a = await suite.agents.spawn({ name: 'stingy', model: 'scripted:10:50', constraints: { maxTotalTokens: 100_000 } });
    await suite.agents.until(a.id, (v) => v.status === 'running', 'running');
    const res = await suite.agents.post(`/agents/${a.id}/budget`, { maxTotalTokens: 10 });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { detail: string }).detail).toContain('can only be raised');
    await suite.agents.post(`/agents/${a.id}/kill`, {});
    await suite.agents.settle(a.id);
  });

  test('tokens and USD are accounted per step, per agent and per tenant', async () => {
    const a = await suite.agents.spawn({ name: 'billed', model: 'scripted:3', tenant: 'globex' });
    const b = await suite.agents.spawn({ name: 'billed-too', model: 'scripted:2', tenant: 'globex' });
    const [da, db] = [await suite.agents.settle(a.id), await suite.agents.settle(b.id)];
    const rows = await suite.stack.db.db.select().from(usageLedger).where(eq(usageLedger.tenant, 'globex'));
    expect(rows).toHaveLength(5);
    // scripted is priced at $1 / $2 per million tokens
    expect(da.usage.costUsd).toBeCloseTo((da.usage.promptTokens * 1 + da.usage.completionTokens * 2) / 1e6, 9);
    const usage = (await (await rootFetch(`${suite.stack.apiUrl}/tenants/globex/usage`)).json()) as { steps: number; promptTokens: number; costUsd: number };
    expect(usage.steps).toBe(5);
    expect(usage.promptTokens).toBe(da.usage.promptTokens + db.usage.promptTokens);
    expect(usage.costUsd).toBeCloseTo(da.usage.costUsd + db.usage.costUsd, 9);
  });

  test('a child draws on its parent’s remaining budget', async () => {
    const parent = await suite.agents.spawn({ name: 'parent', model: 'scripted:40:50', constraints: { maxSteps: 40, maxTotalTokens: 3000 } });
    await suite.agents.until(parent.id, (v) => v.status === 'running', 'parent running');
    const child = await suite.agents.spawn({ name: 'child', model: 'scripted:2', parentId: parent.id, constraints: { maxTotalTokens: 100_000 } });
    const childLive = await suite.agents.settle(child.id);
    expect(childLive.status).toBe('completed');
    const started = await suite.stack.client.workflow.getHandle(child.id).describe();
    expect(started.status.name).toBe('COMPLETED');
    const childState = await inspectingClient(suite.stack).workflow.getHandle(child.id).query<{ budget: { maxTotalTokens: number } }>('state');
    expect(childState.budget.maxTotalTokens).toBeLessThanOrEqual(3000);
    expect(childState.budget.maxTotalTokens).toBeGreaterThan(0);
    // The parent settled the child's reservation and counts exactly what the child spent.
    const parentState = await waitFor(
      () => suite.stack.client.workflow.getHandle(parent.id).query<{ childUsage: { promptTokens: number; completionTokens: number }; childReservations: Record<string, unknown> }>('state'),
      (st) => Object.keys(st.childReservations).length === 0,
      10_000,
      'the parent to settle the child',
    );
    expect(parentState.childUsage.promptTokens).toBe(childLive.usage.promptTokens);
    expect(parentState.childUsage.completionTokens).toBe(childLive.usage.completionTokens);
    expect(childLive.usage.totalTokens).toBeGreaterThan(0);
    // Another tenant cannot borrow from this parent: refused, and nothing is lent or stored.
    const poacher = await suite.agents.post('/agents', { name: 'poacher', role: 'r', goal: 'g', input: 'i', tenant: 'evil', parentId: parent.id, constraints: { maxTotalTokens: 2_000 } });
    // Answered like a parent that does not exist (404): the other tenant learns nothing.
    expect(poacher.status).toBe(404);
    expect(((await poacher.json()) as { detail: string }).detail).toBe(`no parent agent with id "${parent.id}"`);
    const untouched = await suite.stack.client.workflow.getHandle(parent.id).query<{ childReservations: Record<string, unknown> }>('state');
    expect(untouched.childReservations).toEqual({});
    expect((await suite.stack.db.db.select().from(agents).where(eq(agents.parentId, parent.id))).map((r) => r.tenant)).toEqual(['default']);
    const orphan = await suite.agents.post('/agents', { name: 'orphan', role: 'r', goal: 'g', input: 'i', parentId: 'no-such-parent' });
    expect(orphan.status).toBe(404);
    await suite.agents.post(`/agents/${parent.id}/kill`, {});
    await suite.agents.settle(parent.id);
    const late = await suite.agents.post('/agents', { name: 'late', role: 'r', goal: 'g', input: 'i', parentId: parent.id });
    expect(late.status).toBe(409);
  });
});

describe('streaming', () => {
  test('GET /agents/:id/events streams step and token events as SSE until the agent finishes', async () => {
    const a = await suite.agents.spawn({ name: 'streamer', model: 'scripted:3:30' });
    const res = await rootFetch(`${suite.stack.apiUrl}/agents/${a.id}/events`);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    const events = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    expect(events.filter((e) => e === 'step.started')).toHaveLength(3);
    expect(events.filter((e) => e === 'step.completed')).toHaveLength(3);
    expect(events).toContain('token');
    expect(events.at(-1)).toBe('agent.finished');
    expect(text).toContain('Final answer (step 3/3)');
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    const resumed = await (await rootFetch(`${suite.stack.apiUrl}/agents/${a.id}/events`, { headers: { 'last-event-id': String(ids[1]) } })).text();
    expect([...resumed.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual(ids.slice(2));
  });
});
