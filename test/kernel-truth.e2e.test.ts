/**
 * The kernel's view stays true whichever door acts on an agent: a kill through the API, Terminate,
 * Cancel, Reset and Signal from the Temporal UI or CLI (the same gRPC calls, made here with the
 * Temporal client), and hostile signal payloads. Each test was written to fail on the code before it.
 */
import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { randomUUID } from 'node:crypto';
import { and, asc, eq, like } from 'drizzle-orm';
import { temporal } from '@temporalio/proto';
import Long from 'long';
import { agentEvents, agents, auditLog, contextPages, memories, usageLedger } from '../db/schema';
import type { AgentSnapshot } from '../kernel/agent/state';
import { openAiReply, startFakeLlm } from './support/fake-llm';
import { inspectingClient } from './support/stack';
import { useStack } from './support/suite';
import { waitFor } from './support/wait';
import { rootFetch } from './support/keys';

setDefaultTimeout(120_000);

const { EventType } = temporal.api.enums.v1;
const fake = startFakeLlm();
const TOOL_MODULES = new URL('./support/tools/slow-effect.ts', import.meta.url).pathname;
const suite = useStack({ database: 'postgres', env: { OPENAI_BASE_URL: `${fake.url}/v1`, RECONCILE_INTERVAL_MS: '500', TOOL_MODULES } });

const db = () => suite.stack.db.db;
const eventsOf = (id: string) => db().select().from(agentEvents).where(eq(agentEvents.agentId, id)).orderBy(asc(agentEvents.seq));
const pagesOf = (id: string) => db().select().from(contextPages).where(eq(contextPages.agentId, id));
const ledgerOf = (id: string) => db().select().from(usageLedger).where(eq(usageLedger.agentId, id));
const handle = (id: string) => suite.stack.client.workflow.getHandle(id);

async function stepStarted(id: string, step = 1) {
  await waitFor(() => eventsOf(id), (es) => es.some((e) => e.kind === 'step.started' && e.step === step), 20_000, `${id} step ${step} started`);
}

/** Waits until the step has been running for a while (past its first heartbeat, where a late cancel used to be lost). */
async function midStep(id: string) {
  await stepStarted(id);
  await Bun.sleep(1_500);
}

/** Nothing about an agent changes after it finished: no event after agent.finished. */
async function expectNothingAfterFinish(id: string) {
  const events = await eventsOf(id);
  const finished = events.findIndex((e) => e.kind === 'agent.finished');
  expect(finished).toBeGreaterThanOrEqual(0);
  expect(events.slice(finished + 1).map((e) => e.kind)).toEqual([]);
}

async function historyEventTypes(id: string) {
  const history = await handle(id).fetchHistory();
  return (history.events ?? []).map((e) => e.eventType);
}

describe('a kill is final', () => {
  test('a kill during a scripted model call cancels it: no reply, no bill, no event after agent.finished, the row stays terminated', async () => {
    const a = await suite.agents.spawn({ name: 'kill-scripted', model: 'scripted:30:4000' });
    await midStep(a.id);
    expect((await suite.agents.post(`/agents/${a.id}/kill`, { reason: 'stop now' })).status).toBe(202);
    await handle(a.id).result().catch(() => undefined);
    // The interrupted call would have answered 4 s after it began; look well after that.
    await Bun.sleep(4_000);
    const view = await suite.agents.get(a.id);
    expect(view).toMatchObject({ status: 'terminated', exitReason: 'killed', step: 0, live: false });
    expect((await pagesOf(a.id)).filter((p) => p.purpose === 'reply')).toEqual([]);
    expect(await ledgerOf(a.id)).toEqual([]);
    await expectNothingAfterFinish(a.id);
    const [row] = await db().select().from(agents).where(eq(agents.id, a.id));
    expect(row).toMatchObject({ status: 'terminated', step: 0 });
    // The cancellation is in the history: the step was asked to stop, not left to finish.
    expect(await historyEventTypes(a.id)).toContain(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED);
  });

  test('a kill during an HTTP model call aborts the request', async () => {
    fake.enqueue({ ...openAiReply('too late'), delayMs: 4_000 });
    const before = fake.answered.length;
    const a = await suite.agents.spawn({ name: 'kill-http', model: 'openai:fake-model' });
    await midStep(a.id);
    await waitFor(async () => fake.requests.length, (n) => n > 0, 10_000, 'the model request');
    expect((await suite.agents.post(`/agents/${a.id}/kill`, {})).status).toBe(202);
    await waitFor(async () => fake.answered.length, (n) => n > before, 10_000, 'the delayed answer');
    expect(fake.answered.at(-1)).toEqual({ aborted: true });
    await Bun.sleep(1_000);
    expect((await pagesOf(a.id)).filter((p) => p.purpose === 'reply')).toEqual([]);
    expect(await suite.agents.get(a.id)).toMatchObject({ status: 'terminated', step: 0 });
    await expectNothingAfterFinish(a.id);
  });

  test('Request Cancellation from the Temporal UI ends the agent the same way', async () => {
    const a = await suite.agents.spawn({ name: 'cancel-ui', model: 'scripted:30:4000' });
    await midStep(a.id);
    await handle(a.id).cancel();
    await handle(a.id).result().catch(() => undefined);
    await Bun.sleep(4_000);
    expect(await suite.agents.get(a.id)).toMatchObject({ status: 'terminated', exitReason: 'killed', step: 0 });
    expect((await pagesOf(a.id)).filter((p) => p.purpose === 'reply')).toEqual([]);
    await expectNothingAfterFinish(a.id);
  });
});

describe('Temporal’s word wins about closure', () => {
  test('terminate from the UI or CLI: the agent reads terminated, with the reason, and the API stops treating it as live', async () => {
    const a = await suite.agents.spawn({ name: 'terminated-outside', model: 'scripted:30:1000' });
    await stepStarted(a.id);
    const events = rootFetch(`${suite.stack.apiUrl}/agents/${a.id}/events`, { signal: AbortSignal.timeout(30_000) }).then((r) => r.text());
    await handle(a.id).terminate('operator pressed Terminate');
    const view = await suite.agents.get(a.id);
    expect(view).toMatchObject({ status: 'terminated', exitReason: 'terminated', live: false });
    expect(view.error).toContain('operator pressed Terminate');
    const kill = await suite.agents.post(`/agents/${a.id}/kill`, {});
    expect(kill.status).toBe(409);
    expect(((await kill.json()) as { detail: string }).detail).toContain('terminated');
    // The event stream ends with agent.finished instead of hanging for good.
    expect(await events).toContain('event: agent.finished');
    const audit = await db().select().from(auditLog).where(and(eq(auditLog.subject, a.id), eq(auditLog.action, 'agent.terminated')));
    expect(audit).toHaveLength(1);
    expect((audit[0]!.data as { closedBy: string }).closedBy).toBe('temporal');
  });

  test('a sweep reconciles an agent closed outside the kernel without anyone reading it', async () => {
    const a = await suite.agents.spawn({ name: 'swept', model: 'scripted:30:1000' });
    await stepStarted(a.id);
    await handle(a.id).terminate('nobody is watching');
    const row = await waitFor(async () => (await db().select().from(agents).where(eq(agents.id, a.id)))[0]!, (r) => r.status === 'terminated', 15_000, 'the sweep');
    expect(row.exitReason).toBe('terminated');
    expect(row.finishedAt).not.toBeNull();
  });
});

describe('reset means rewind, whichever door it comes through', () => {
  test('a reset from the UI or CLI rewinds the agent’s records like POST /agents/:id/rewind', async () => {
    const a = await suite.agents.spawn({ name: 'reset-outside', model: 'scripted:3' });
    await handle(a.id).result();
    const history = await handle(a.id).fetchHistory();
    const events = history.events ?? [];
    // The workflow task completed right after step 1's reply came back: the boundary after step 1.
    const firstStep = events.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)!;
    const boundary = events.find((e) => Number(e.eventId) > Number(firstStep.eventId) && e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)!;
    const reset = await suite.stack.client.workflowService.resetWorkflowExecution({
      namespace: suite.stack.temporal.namespace,
      workflowExecution: { workflowId: a.id },
      workflowTaskFinishEventId: Long.fromNumber(Number(boundary.eventId)),
      requestId: randomUUID(),
      reason: 'reset from the CLI',
    });
    await suite.stack.client.workflow.getHandle(a.id, reset.runId!).result();
    const view = await suite.agents.get(a.id);
    expect(view).toMatchObject({ status: 'completed', step: 3, branch: 1 });
    const pages = await pagesOf(a.id);
    const liveReplies = pages.filter((p) => p.purpose === 'reply' && !p.retired).map((p) => p.step).sort();
    expect(liveReplies).toEqual([1, 2, 3]);
    const archived = pages.filter((p) => p.purpose === 'reply~r1').map((p) => p.step).sort();
    expect(archived).toEqual([2, 3]);
    const audit = await db().select().from(auditLog).where(and(eq(auditLog.subject, a.id), eq(auditLog.action, 'agent.rewind')));
    expect(audit).toHaveLength(1);
    expect(audit[0]!.data).toMatchObject({ toStep: 1, branch: 1, via: 'temporal-reset' });
  });
});

/** The workflow task that completed right after the n-th completed activity of the given type. */
async function boundaryAfter(id: string, activity: string, n = 1, runId?: string): Promise<number> {
  const events = (await suite.stack.client.workflow.getHandle(id, runId).fetchHistory()).events ?? [];
  const scheduled = new Map(events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => [Number(e.eventId), e.activityTaskScheduledEventAttributes!.activityType?.name]));
  const done = events.filter((e) => e.activityTaskCompletedEventAttributes && scheduled.get(Number(e.activityTaskCompletedEventAttributes.scheduledEventId)) === activity)[n - 1]!;
  return Number(events.find((e) => Number(e.eventId) > Number(done.eventId) && e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)!.eventId);
}

/**
 * Resets like `temporal workflow reset`. `reapply: false` is the CLI's `--reapply-type None` (the UI's
 * unticked "reapply signals"): without it, a kill sent after the reset point is applied again, and the
 * revived agent is killed again — Temporal's semantics, which the kernel keeps.
 */
async function resetTo(id: string, eventId: number, reapply = true): Promise<string> {
  const reset = await suite.stack.client.workflowService.resetWorkflowExecution({
    namespace: suite.stack.temporal.namespace,
    workflowExecution: { workflowId: id },
    workflowTaskFinishEventId: Long.fromNumber(eventId),
    requestId: randomUUID(),
    reason: 'reset from the CLI',
    ...(reapply ? {} : { resetReapplyType: temporal.api.enums.v1.ResetReapplyType.RESET_REAPPLY_TYPE_NONE }),
  });
  return reset.runId!;
}

describe('reset means rewind, on every path', () => {
  test('a running agent reset to an earlier boundary rewinds and keeps one live reply per step', async () => {
    const a = await suite.agents.spawn({ name: 'reset-running', model: 'scripted:6:300', constraints: { maxSteps: 6 } });
    await waitFor(async () => (await pagesOf(a.id)).filter((p) => p.purpose === 'reply').length, (n) => n >= 3, 30_000, 'three steps');
    const runId = await resetTo(a.id, await boundaryAfter(a.id, 'llmStep', 1));
    await suite.stack.client.workflow.getHandle(a.id, runId).result();
    expect(await suite.agents.get(a.id)).toMatchObject({ status: 'completed', step: 6, branch: 1 });
    const replies = (await pagesOf(a.id)).filter((p) => p.purpose === 'reply' && !p.retired).map((p) => p.step).sort((x, y) => x - y);
    expect(replies).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('a reset between a reply and its tool call rewinds from that call: the tool runs again on the new timeline', async () => {
    const a = await suite.agents.spawn({ name: 'reset-mid-step', model: 'scripted:2', tools: ['calculator'], input: 'CALL calculator {"expression":"6*7"}' });
    await handle(a.id).result();
    const runId = await resetTo(a.id, await boundaryAfter(a.id, 'llmStep', 1));
    await suite.stack.client.workflow.getHandle(a.id, runId).result();
    expect(await suite.agents.get(a.id)).toMatchObject({ status: 'completed', step: 2, branch: 1 });
    const pages = await pagesOf(a.id);
    expect(pages.filter((p) => p.purpose === 'tool:call_1_1~r1')).toHaveLength(1);
    expect(pages.filter((p) => p.purpose === 'tool:call_1_1' && !p.retired)).toHaveLength(1);
    expect(pages.filter((p) => p.purpose === 'reply' && p.step === 1)).toHaveLength(1);
  });

  test('an agent killed during a tool, reset to before the tool, comes back and finishes the call', async () => {
    const a = await suite.agents.spawn({ name: 'reset-killed-tool', model: 'scripted:2', tools: ['slow_effect'], input: 'CALL slow_effect {"key":"k","ms":3000}' });
    await waitFor(() => db().select().from(memories).where(eq(memories.agentId, a.id)), (rows) => rows.length === 1, 30_000, 'the tool under way');
    expect((await suite.agents.post(`/agents/${a.id}/kill`, {})).status).toBe(202);
    await handle(a.id).result().catch(() => undefined);
    expect(await suite.agents.get(a.id)).toMatchObject({ status: 'terminated' });
    const runId = await resetTo(a.id, await boundaryAfter(a.id, 'llmStep', 1), false);
    await suite.stack.client.workflow.getHandle(a.id, runId).result();
    const done = await suite.agents.get(a.id);
    expect(done).toMatchObject({ status: 'completed', step: 2, branch: 1 });
    expect(done.result).toContain('Last tool result: did k');
  });

  test('an agent killed while it waited for approval, reset to that wait, waits again and can be approved', async () => {
    const a = await suite.agents.spawn({ name: 'reset-at-hold', model: 'scripted:2', tools: ['publish'], input: 'CALL publish {"channel":"c","text":"t"}' });
    await suite.agents.until(a.id, (v) => v.pendingApproval !== null, 'pending approval');
    expect((await suite.agents.post(`/agents/${a.id}/kill`, {})).status).toBe(202);
    await handle(a.id).result().catch(() => undefined);
    const runId = await resetTo(a.id, await boundaryAfter(a.id, 'llmStep', 1), false);
    const waiting = await suite.agents.until(a.id, (v) => v.status === 'waiting' && v.pendingApproval !== null, 'waiting again');
    expect(waiting.branch).toBe(1);
    expect((await suite.agents.post(`/agents/${a.id}/approvals`, { callId: waiting.pendingApproval!.callId, approved: true, approver: 'reviewer' })).status).toBe(200);
    await suite.stack.client.workflow.getHandle(a.id, runId).result();
    expect(await suite.agents.get(a.id)).toMatchObject({ status: 'completed', step: 2 });
  });
});

describe('signals from outside are validated', () => {
  test('malformed payloads on every signal are dropped and the agent stays well-formed', async () => {
    const a = await suite.agents.spawn({ name: 'signal-fuzz', model: 'scripted:2', tools: ['publish'], input: 'CALL publish {"channel":"c","text":"t"}' });
    const waiting = await suite.agents.until(a.id, (v) => v.pendingApproval !== null, 'pending approval');
    const h = handle(a.id);
    for (const [name, payload] of [
      ['message', { nonsense: true }],
      ['message', 'just text'],
      ['message', { id: 42, kind: 'message', role: 'user', tokens: -1, step: 1 }],
      ['pause', 'not an object'],
      ['kill', { reason: { nested: true } }],
      ['kernel.migrate', { node: 7 }],
      ['kernel.childFinished', { childId: 'x', spent: { promptTokens: 'lots' } }],
      ['kernel.rewound', null],
      ['migrate', { node: 7 }],
      ['childFinished', { childId: 'x' }],
      ['rewound', { sunk: 'all' }],
    ] as const) {
      await h.signal(name, payload);
    }
    const state = await h.query<AgentSnapshot>('state');
    expect(state.status).toBe('waiting');
    for (const p of state.pages) {
      expect(typeof p.id).toBe('string');
      expect(p.tokens).toBeGreaterThanOrEqual(0);
    }
    expect(Number.isFinite(state.usage.promptTokens)).toBe(true);
    // None of the malformed internal signals reached the budget state.
    expect(state.childUsage).toEqual({ promptTokens: 0, completionTokens: 0, costUsd: 0 });
    expect(state.sunkUsage).toEqual({ promptTokens: 0, completionTokens: 0, costUsd: 0 });
    expect(state.childReservations).toEqual({});
    const ok = await suite.agents.post(`/agents/${a.id}/approvals`, { callId: waiting.pendingApproval!.callId, approved: true, approver: 'reviewer' });
    expect(ok.status).toBe(200);
    expect(await suite.agents.settle(a.id)).toMatchObject({ status: 'completed' });
  });

  test('kernel-internal signals carry a kernel. prefix in the workflow’s own description', async () => {
    const a = await suite.agents.spawn({ name: 'signal-names', model: 'scripted:2', tools: ['publish'], input: 'CALL publish {"channel":"c","text":"t"}' });
    await suite.agents.until(a.id, (v) => v.pendingApproval !== null, 'pending approval');
    const meta = await handle(a.id).query<{ definition: { signalDefinitions: Array<{ name: string; description?: string }> } }>('__temporal_workflow_metadata');
    const names = meta.definition.signalDefinitions.map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(['kernel.migrate', 'kernel.childFinished', 'kernel.rewound', 'pause', 'resume', 'kill', 'message']));
    for (const d of meta.definition.signalDefinitions) expect(d.description ?? '').not.toBe('');
    await suite.agents.post(`/agents/${a.id}/kill`, {});
  });
});

describe('a message signal names the agent’s own pages only', () => {
  test('a hand-sent message naming another agent’s page is dropped from the page table', async () => {
    const other = await suite.agents.spawn({ name: 'victim', model: 'scripted:1', input: `secret-${randomUUID()}` });
    await suite.agents.settle(other.id);
    const [secret] = await db().select().from(contextPages).where(and(eq(contextPages.agentId, other.id), like(contextPages.purpose, 'input')));
    const a = await suite.agents.spawn({ name: 'thief', model: 'scripted:2', tools: ['publish'], input: 'CALL publish {"channel":"c","text":"t"}' });
    const waiting = await suite.agents.until(a.id, (v) => v.pendingApproval !== null, 'pending approval');
    await handle(a.id).signal('message', { id: secret!.id, kind: 'message', role: 'user', tokens: secret!.tokens, step: 1 });
    await suite.agents.post(`/agents/${a.id}/approvals`, { callId: waiting.pendingApproval!.callId, approved: true, approver: 'reviewer' });
    expect(await suite.agents.settle(a.id)).toMatchObject({ status: 'completed' });
    // Queried after it closed (the kernel's own client refuses queries to closed runs; this one does not).
    const state = await inspectingClient(suite.stack).workflow.getHandle(a.id).query<AgentSnapshot>('state');
    expect(state.pages.length).toBeGreaterThan(0);
    expect(state.pages.map((p) => p.id)).not.toContain(secret!.id);
  });
});
