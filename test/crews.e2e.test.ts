/**
 * Crews on the real stack: a DAG of agents as one Temporal workflow whose agent nodes are child
 * workflows — the diamond, conditions that skip, every failure policy, gates and approvals inside
 * parallel branches, durable waits, budgets, cancel, retry and fork, and the graph checks at the edge.
 */
import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { and, eq, inArray } from 'drizzle-orm';
import { agents, contextPages } from '../db/schema';
import { CREW_ID } from '../kernel/search-attributes';
import type { CrewView } from '../kernel/crew/view';
import { openAiReply, startFakeLlm } from './support/fake-llm';
import { useStack } from './support/suite';
import { waitFor } from './support/wait';
import { rootFetch } from './support/keys';

setDefaultTimeout(180_000);

const fake = startFakeLlm();
const suite = useStack({ database: 'postgres', env: { OPENAI_BASE_URL: `${fake.url}/v1`, ANTHROPIC_API_KEY: '' } });
const db = () => suite.stack.db.db;
const agent = (input: string, model = 'scripted:2', extra: Record<string, unknown> = {}) => ({ role: 'a crew member', goal: 'do my part', input, model, ...extra });
const failing = (input = 'fail') => agent(input, 'anthropic:claude-none');

async function create(body: Record<string, unknown>, status = 201): Promise<CrewView> {
  const res = await suite.agents.post('/crews', body);
  const json = (await res.json()) as CrewView & { detail?: string };
  expect({ status: res.status, detail: json.detail }).toEqual({ status, detail: undefined });
  return json;
}
const get = async (id: string) => (await (await rootFetch(`${suite.stack.apiUrl}/crews/${encodeURIComponent(id)}`)).json()) as CrewView;
const settle = async (id: string) => {
  await suite.stack.client.workflow.getHandle(id).result().catch(() => undefined);
  return get(id);
};
const node = (crew: CrewView, id: string) => crew.nodes.find((n) => n.id === id)!;
const inputOf = async (agentId: string) => (await db().select().from(contextPages).where(and(eq(contextPages.agentId, agentId), eq(contextPages.purpose, 'input'))))[0]!.body;

describe('a diamond crew', () => {
  let crew: CrewView;
  test('A → B and C side by side → D: every node completes, D reads B and C', async () => {
    const created = await create({
      name: 'diamond',
      nodes: [
        { id: 'research', kind: 'agent', agent: agent('Research the topic.', 'scripted:2:400') },
        { id: 'pro', kind: 'agent', dependsOn: ['research'], agent: agent('Argue for, from: {{nodes.research.result}}', 'scripted:2:600') },
        { id: 'con', kind: 'agent', dependsOn: ['research'], agent: agent('Argue against, from: {{nodes.research.result}}', 'scripted:2:600') },
        { id: 'writer', kind: 'agent', dependsOn: ['pro', 'con'], agent: agent('Write it up. FOR: {{nodes.pro.result}} AGAINST: {{nodes.con.result}}') },
      ],
    });
    expect(created.id).toMatch(/^crew\.diamond-[0-9a-z]{10}$/);
    crew = await settle(created.id);
    expect(crew.status).toBe('completed');
    expect(crew.nodes.map((n) => [n.id, n.status])).toEqual([['research', 'completed'], ['pro', 'completed'], ['con', 'completed'], ['writer', 'completed']]);
    const writerInput = await inputOf(node(crew, 'writer').agentId!);
    expect(writerInput).toContain(`FOR: ${node(crew, 'pro').result}`);
    expect(writerInput).toContain(`AGAINST: ${node(crew, 'con').result}`);
    expect(crew.usage.totalTokens).toBeGreaterThan(0);
    expect(crew.usage.totalTokens).toBe(crew.nodes.reduce((n, x) => n + x.usage.promptTokens + x.usage.completionTokens, 0));
  });

  test('the independent branches ran at the same time, with no barrier between them', () => {
    const [pro, con] = [node(crew, 'pro'), node(crew, 'con')];
    expect(Date.parse(pro.startedAt!)).toBeLessThan(Date.parse(con.finishedAt!));
    expect(Date.parse(con.startedAt!)).toBeLessThan(Date.parse(pro.finishedAt!));
  });

  test('no more than maxConcurrency agents run at once; the rest wait their turn', async () => {
    const crew = await settle((await create({ name: 'capped', maxConcurrency: 2, nodes: ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, kind: 'agent', agent: agent(`part ${id}`, 'scripted:1:600') })) })).id);
    expect(crew.status).toBe('completed');
    const spans = crew.nodes.map((n) => [Date.parse(n.startedAt!), Date.parse(n.finishedAt!)] as const);
    // At every start, how many nodes were running (started, not yet finished)?
    const overlap = spans.map(([t]) => spans.filter(([s, f]) => s <= t && t < f).length);
    expect(Math.max(...overlap)).toBeLessThanOrEqual(2);
    expect(Math.max(...overlap)).toBe(2);
  });

  test('in Temporal the crew is the parent of its agents, all filterable by CrewId', async () => {
    const child = await suite.stack.client.workflow.getHandle(node(crew, 'pro').agentId!).describe();
    expect(child.raw.workflowExecutionInfo?.parentExecution?.workflowId).toBe(crew.id);
    expect(child.typedSearchAttributes.get(CREW_ID)).toBe(crew.id);
    // Its workflow tasks are matched by its priority and tenant, as an agent the API started.
    const { events } = await suite.stack.client.workflow.getHandle(node(crew, 'pro').agentId!).fetchHistory();
    const started = events?.[0]?.workflowExecutionStartedEventAttributes;
    const firstStep = events?.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'llmStep')?.activityTaskScheduledEventAttributes;
    expect(started?.priority?.priorityKey).toBeGreaterThan(0);
    expect({ key: started?.priority?.priorityKey, fairness: started?.priority?.fairnessKey }).toEqual({ key: firstStep?.priority?.priorityKey, fairness: 'default' });
    const ids = await waitFor(
      async () => {
        const found: string[] = [];
        for await (const wf of suite.stack.client.workflow.list({ query: `CrewId = '${crew.id}'` })) found.push(wf.workflowId);
        return found.sort();
      },
      (found) => found.length === 5,
      15_000,
      'the crew and its four agents in visibility',
    );
    expect(ids).toContain(crew.id);
  });

  test('its events stream until crew.finished', async () => {
    const text = await (await rootFetch(`${suite.stack.apiUrl}/crews/${crew.id}/events`, { signal: AbortSignal.timeout(10_000) })).text();
    const kinds = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    expect(kinds.filter((k) => k === 'node.completed')).toHaveLength(4);
    expect(kinds.at(-1)).toBe('crew.finished');
  });
});

describe('conditions and joins', () => {
  test('a foreach runs one agent per item of the list a predecessor returned', async () => {
    fake.respond = (body) => ((body as { model: string }).model === 'lister' ? openAiReply('```json\n["alpha", "beta", "gamma"]\n```') : undefined);
    const crew = await settle(
      (
        await create({
          name: 'over a list',
          nodes: [
            { id: 'list', kind: 'agent', agent: agent('List three things.', 'openai:lister') },
            { id: 'each', kind: 'foreach', dependsOn: ['list'], foreach: { over: 'list', concurrency: 2, agent: agent('Look into {{item}} (#{{index}}).', 'scripted:1') } },
          ],
        })
      ).id,
    );
    expect(crew.status).toBe('completed');
    expect(node(crew, 'each').items).toEqual({ total: 3, completed: 3, failed: 0 });
    const members = await db().select().from(agents).where(eq(agents.crewId, crew.id));
    // The fan-out's agents (not the list's, nor the row that owns the crew's own pages).
    const inputs = await Promise.all(members.filter((m) => m.id.includes('-each-')).map((m) => inputOf(m.id)));
    expect(inputs.sort()).toEqual(['Look into alpha (#0).', 'Look into beta (#1).', 'Look into gamma (#2).']);
    // The record that owns the crew's own pages (the collected results) is not an agent to anyone outside.
    expect(members.some((m) => m.id === crew.id)).toBe(true);
    const listed = (await (await rootFetch(`${suite.stack.apiUrl}/agents?limit=200`)).json()) as { agents: Array<{ id: string }> };
    expect(listed.agents.map((a) => a.id)).not.toContain(crew.id);
    for (const path of ['', '/pages', '/checkpoints', '/memories', '/tree']) expect((await rootFetch(`${suite.stack.apiUrl}/agents/${crew.id}${path}`)).status).toBe(404);
    expect((await suite.agents.post(`/agents/${crew.id}/fork`, { input: 'x' })).status).toBe(404);
  });

  test('a false condition skips its branch (and what only it leads to); the crew still finishes', async () => {
    const crew = await settle(
      (await create({
        name: 'conditional',
        nodes: [
          { id: 'triage', kind: 'agent', agent: agent('triage this') },
          { id: 'escalate', kind: 'agent', dependsOn: ['triage'], when: { in: ['URGENT', { var: 'nodes.triage.result' }] }, agent: agent('escalate') },
          { id: 'page', kind: 'agent', dependsOn: ['escalate'], agent: agent('page someone') },
          { id: 'log', kind: 'agent', dependsOn: ['triage'], when: { '==': [{ var: 'nodes.triage.status' }, 'completed'] }, agent: agent('log it') },
          { id: 'close', kind: 'agent', dependsOn: ['page', 'log'], join: 'any', agent: agent('close the ticket') },
        ],
      })).id,
    );
    expect(crew.status).toBe('completed');
    expect(crew.nodes.map((n) => [n.id, n.status])).toEqual([['triage', 'completed'], ['escalate', 'skipped'], ['page', 'skipped'], ['log', 'completed'], ['close', 'completed']]);
    expect(node(crew, 'escalate').agentId).toBeNull();
  });
});

describe('failure policies', () => {
  test('fail: the crew fails fast, a running sibling is cancelled, what never ran is skipped', async () => {
    const crew = await settle(
      (await create({
        name: 'fail-fast',
        nodes: [
          { id: 'broken', kind: 'agent', agent: failing() },
          { id: 'slow', kind: 'agent', agent: agent('take your time', 'scripted:10:1000') },
          { id: 'after', kind: 'agent', dependsOn: ['broken'], agent: agent('never') },
        ],
      })).id,
    );
    expect(crew.status).toBe('failed');
    expect(crew.error).toContain('broken');
    expect(node(crew, 'broken').status).toBe('failed');
    expect(node(crew, 'slow').status).toBe('failed');
    expect(node(crew, 'after').status).toBe('skipped');
    const slowAgent = await suite.agents.get(node(crew, 'slow').agentId!);
    expect(slowAgent.status).toBe('terminated');
  });

  test('continue: the failed node is recorded and its dependents still run', async () => {
    const crew = await settle((await create({ name: 'carry-on', nodes: [{ id: 'broken', kind: 'agent', agent: failing(), onFailure: 'continue' }, { id: 'next', kind: 'agent', dependsOn: ['broken'], agent: agent('go on: {{nodes.broken.result}}') }] })).id);
    expect(crew.status).toBe('completed');
    expect(node(crew, 'broken')).toMatchObject({ status: 'failed', error: expect.stringContaining('failed') });
    expect(node(crew, 'next').status).toBe('completed');
  });

  test('retry N: the node runs N more times, each attempt a new agent, then the crew fails', async () => {
    const crew = await settle((await create({ name: 'retrying', nodes: [{ id: 'broken', kind: 'agent', agent: failing(), onFailure: { retry: 2 } }] })).id);
    expect(crew.status).toBe('failed');
    expect(node(crew, 'broken').attempt).toBe(3);
    const attempts = await db().select().from(agents).where(eq(agents.crewId, crew.id));
    expect(attempts.map((a) => a.id.slice(-2)).sort()).toEqual(['a1', 'a2', 'a3']);
  });

  test('fallback: the fallback node runs, and its result stands for the failed one', async () => {
    const crew = await settle(
      (await create({
        name: 'with-fallback',
        nodes: [
          { id: 'primary', kind: 'agent', agent: failing(), onFailure: { fallback: 'spare' } },
          { id: 'spare', kind: 'agent', fallbackOnly: true, agent: agent('the spare answer') },
          { id: 'use', kind: 'agent', dependsOn: ['primary'], agent: agent('use: {{nodes.primary.result}}') },
        ],
      })).id,
    );
    expect(crew.status).toBe('completed');
    expect(node(crew, 'primary')).toMatchObject({ status: 'completed', via: 'spare' });
    expect(node(crew, 'spare').status).toBe('completed');
    expect(await inputOf(node(crew, 'use').agentId!)).toContain(node(crew, 'spare').result!);
  });
});

describe('gates and approvals inside parallel branches', () => {
  test('two gates wait side by side; a decision opens only its own branch', async () => {
    const created = await create({
      name: 'two-gates',
      nodes: [
        { id: 'left-gate', kind: 'gate', gate: { prompt: 'ship left?' } },
        { id: 'right-gate', kind: 'gate', gate: { prompt: 'ship right?' } },
        { id: 'left', kind: 'agent', dependsOn: ['left-gate'], agent: agent('left work') },
        { id: 'right', kind: 'agent', dependsOn: ['right-gate'], agent: agent('right work') },
      ],
    });
    await waitFor(() => get(created.id), (c) => node(c, 'left-gate').status === 'waiting' && node(c, 'right-gate').status === 'waiting', 20_000, 'both gates waiting');
    const gate = (n: string, body: Record<string, unknown>) => suite.agents.post(`/crews/${created.id}/gates/${n}`, body);
    expect((await gate('left-gate', { approved: true, approver: 'alice' })).status).toBe(200);
    const mid = await waitFor(() => get(created.id), (c) => node(c, 'left').status === 'completed', 20_000, 'the left branch');
    expect(node(mid, 'right-gate').status).toBe('waiting');
    expect(node(mid, 'right').status).toBe('pending');
    // The left gate is decided; deciding it again, or a node that is not a waiting gate, is refused.
    expect((await gate('left-gate', { approved: true, approver: 'alice' })).status).toBe(409);
    expect((await gate('left', { approved: true, approver: 'alice' })).status).toBe(409);
    expect((await gate('right-gate', { approved: false, approver: 'bob', reason: 'not yet' })).status).toBe(200);
    const done = await settle(created.id);
    expect(done.status).toBe('failed');
    expect(node(done, 'right-gate')).toMatchObject({ status: 'failed', error: 'rejected by key:testroot0000: not yet' });
    expect(node(done, 'right').status).toBe('skipped');
  });

  test('tool approvals in two parallel branches are bound to their node: one cannot resume the other', async () => {
    // Branch a asks to publish at its first step (call_1_1), branch b at its second (call_2_2).
    const publishA = agent('CALL publish {"channel":"c","text":"from a"}', 'scripted:2', { tools: ['publish'] });
    const publishB = agent('CALL calculator {"expression":"1+1"}\nCALL publish {"channel":"c","text":"from b"}', 'scripted:3', { tools: ['publish', 'calculator'] });
    const created = await create({ name: 'two-approvals', nodes: [{ id: 'a', kind: 'agent', agent: publishA }, { id: 'b', kind: 'agent', agent: publishB }] });
    const waiting = await waitFor(
      async () => {
        const c = await get(created.id);
        return Promise.all(['a', 'b'].map(async (n) => (node(c, n).agentId ? await suite.agents.get(node(c, n).agentId!) : null)));
      },
      (views) => views.every((v) => v?.pendingApproval),
      30_000,
      'both branches waiting for approval',
    );
    const [a, b] = waiting as [NonNullable<(typeof waiting)[0]>, NonNullable<(typeof waiting)[0]>];
    expect(a.pendingApproval!.callId).not.toBe(b.pendingApproval!.callId);
    const approve = (n: string, callId: string) => suite.agents.post(`/crews/${created.id}/nodes/${n}/approvals`, { callId, approved: true, approver: 'carol' });
    // a's call id sent to node b is refused (b's pending call is its own), and b still waits.
    expect((await approve('b', a.pendingApproval!.callId)).status).toBe(409);
    expect((await approve('a', a.pendingApproval!.callId)).status).toBe(200);
    await waitFor(() => get(created.id), (c) => node(c, 'a').status === 'completed', 20_000, 'branch a');
    expect((await suite.agents.get(b.id)).pendingApproval).not.toBeNull();
    expect((await approve('b', b.pendingApproval!.callId)).status).toBe(200);
    expect((await settle(created.id)).status).toBe('completed');
  });
});

describe('durable waits, budgets, cancel', () => {
  test('a wait node is a durable timer: the crew moves on after it, holding no worker meanwhile', async () => {
    const t0 = Date.now();
    const crew = await settle((await create({ name: 'waiting', nodes: [{ id: 'pause', kind: 'wait', wait: { forMs: 1_500 } }, { id: 'then', kind: 'agent', dependsOn: ['pause'], agent: agent('after the wait') }] })).id);
    expect(crew.status).toBe('completed');
    expect(Date.parse(node(crew, 'then').startedAt!) - t0).toBeGreaterThanOrEqual(1_500);
    const history = await suite.stack.client.workflow.getHandle(crew.id).fetchHistory();
    expect((history.events ?? []).some((e) => e.timerStartedEventAttributes)).toBe(true);
  });

  test('the crew budget is a hard cap its agents draw from', async () => {
    const crew = await settle(
      (await create({ name: 'frugal-crew', budget: { maxTotalTokens: 900 }, nodes: [{ id: 'one', kind: 'agent', agent: agent('first', 'scripted:3') }, { id: 'two', kind: 'agent', dependsOn: ['one'], agent: agent('second', 'scripted:3') }] })).id,
    );
    expect(crew.status).toBe('completed');
    const rows = await db().select().from(agents).where(eq(agents.crewId, crew.id));
    const grant = (id: string) => (rows.find((r) => r.id === id)!.definition as { constraints: { maxTotalTokens: number } }).constraints.maxTotalTokens;
    const spentBy = (id: string) => rows.filter((r) => r.id === id).reduce((n, r) => n + r.promptTokens + r.completionTokens, 0);
    const [one, two] = [node(crew, 'one').agentId!, node(crew, 'two').agentId!];
    // The first of two agent nodes gets half; the second gets what the first left.
    expect(grant(one)).toBe(450);
    expect(grant(two)).toBe(900 - spentBy(one));
    expect(spentBy(one) + spentBy(two)).toBeLessThanOrEqual(900);
    expect(crew.usage.totalTokens).toBe(spentBy(one) + spentBy(two));
  });

  test('cancel: running agents are cancelled with the crew, pending nodes are skipped', async () => {
    const created = await create({ name: 'cancelled', nodes: [{ id: 'long', kind: 'agent', agent: agent('long', 'scripted:20:500') }, { id: 'later', kind: 'agent', dependsOn: ['long'], agent: agent('later') }] });
    await waitFor(() => get(created.id), (c) => node(c, 'long').agentId !== null, 20_000, 'the first agent');
    expect((await suite.agents.post(`/crews/${created.id}/cancel`, {})).status).toBe(202);
    const crew = await settle(created.id);
    expect(crew.status).toBe('cancelled');
    expect(node(crew, 'later').status).toBe('skipped');
    expect((await suite.agents.get(node(crew, 'long').agentId!)).status).toBe('terminated');
    expect((await suite.agents.post(`/crews/${created.id}/cancel`, {})).status).toBe(409);
  });
});

describe('retry and fork', () => {
  test('retrying a failed node re-runs it and its dependents, never what came before', async () => {
    let calls = 0;
    fake.respond = (body) => ((body as { model?: string }).model === 'flaky-once' ? (calls++ === 0 ? { status: 401, body: { error: { message: 'no' } } } : openAiReply('fixed')) : undefined);
    const first = await settle(
      (await create({ name: 'retry-me', nodes: [{ id: 'before', kind: 'agent', agent: agent('before') }, { id: 'flaky', kind: 'agent', dependsOn: ['before'], agent: agent('flaky', 'openai:flaky-once') }, { id: 'after', kind: 'agent', dependsOn: ['flaky'], agent: agent('after: {{nodes.flaky.result}}') }] })).id,
    );
    expect(first.status).toBe('failed');
    const res = await suite.agents.post(`/crews/${first.id}/nodes/flaky/retry`, {});
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ run: 2, rerun: ['flaky', 'after'] });
    const second = await settle(first.id);
    expect(second).toMatchObject({ status: 'completed', run: 2 });
    expect(node(second, 'before')).toMatchObject({ status: 'completed', via: '#1', agentId: node(first, 'before').agentId });
    expect(node(second, 'flaky').result).toBe('fixed');
    const beforeAgents = await db().select().from(agents).where(and(eq(agents.crewId, first.id), inArray(agents.id, [node(first, 'before').agentId!])));
    expect(beforeAgents).toHaveLength(1);
    expect((await db().select().from(agents).where(eq(agents.crewId, first.id))).filter((a) => a.id.includes('-before-'))).toHaveLength(1);
    fake.respond = undefined;
  });

  test('a finished crew forks from a node: a new crew reusing what came before', async () => {
    const source = await settle((await create({ name: 'source', nodes: [{ id: 'a', kind: 'agent', agent: agent('a') }, { id: 'b', kind: 'agent', dependsOn: ['a'], agent: agent('b: {{nodes.a.result}}') }] })).id);
    const res = await suite.agents.post(`/crews/${source.id}/fork`, { from: 'b', name: 'source again' });
    expect(res.status).toBe(201);
    const fork = await settle(((await res.json()) as CrewView).id);
    expect(fork).toMatchObject({ status: 'completed', forkOf: { crewId: source.id, node: 'b' } });
    expect(node(fork, 'a')).toMatchObject({ status: 'completed', agentId: node(source, 'a').agentId, via: `${source.id}#1` });
    expect(node(fork, 'b').agentId).not.toBe(node(source, 'b').agentId);
  });
});

describe('the graph is checked at the edge', () => {
  test('a cycle, an unknown reference and too wide a level are 400s naming the nodes', async () => {
    const bad = async (nodes: unknown[]) => {
      const res = await suite.agents.post('/crews', { name: 'bad', nodes });
      expect(res.status).toBe(400);
      return (await res.json()) as { detail: string; issues: Array<{ nodes: string[] }> };
    };
    const cycle = await bad([{ id: 'a', kind: 'agent', dependsOn: ['b'], agent: agent('a') }, { id: 'b', kind: 'agent', dependsOn: ['a'], agent: agent('b') }]);
    expect(cycle.issues[0]!.nodes).toEqual(['a', 'b']);
    const unknown = await bad([{ id: 'a', kind: 'agent', dependsOn: ['ghost'], agent: agent('a') }]);
    expect(unknown.detail).toContain('ghost');
    const wide = await bad(Array.from({ length: 65 }, (_, i) => ({ id: `n${i}`, kind: 'agent', agent: agent('x') })));
    expect(wide.issues[0]!.nodes).toHaveLength(65);
    const tools = await bad([{ id: 'a', kind: 'agent', agent: { ...agent('a'), tools: ['rm_rf'] } }]);
    expect(tools.detail).toContain('rm_rf');
  });
});
