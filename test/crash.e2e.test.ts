import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { and, eq, inArray, like, sql } from 'drizzle-orm';
import { rowsOf } from '../db/migrate';
import { agents as agentsTable, contextPages, memories, toolCalls, usageLedger } from '../db/schema';
import { agentClient } from './support/agent-client';
import { postJson, startTestStack } from './support/stack';
import { waitFor } from './support/wait';
import { nodeProcesses } from './support/nodes';
import { rootFetch } from './support/keys';

// This suite starts real servers; bun's 5 s default is too short for its hooks.
setDefaultTimeout(120_000);

// The API runs here; the nodes are real `bun run worker` processes, and one is killed with SIGKILL.
let stack: Awaited<ReturnType<typeof startTestStack>>;
let agents: ReturnType<typeof agentClient>;
const nodes = nodeProcesses(() => stack);
const startNode = () => nodes.start({ TOOL_MODULES });

/** A tool module with a slow tool that has a side effect (loaded by the API and every node). */
const TOOL_MODULES = new URL('./support/tools/slow-effect.ts', import.meta.url).pathname;

beforeAll(async () => {
  stack = await startTestStack({ database: 'postgres', worker: false, env: { TOOL_MODULES } });
  agents = agentClient(stack);
});
afterAll(async () => {
  await nodes.stopAll();
  await stack?.stop();
});

describe('a node killed with SIGKILL mid-step', () => {
  test('its agents finish on another node with no lost or duplicated step and no repeated side effect', async () => {
    const first = startNode();
    const spawned = [];
    for (let i = 0; i < 4; i++) {
      spawned.push(await agents.spawn({
        name: `survivor-${i}`,
        model: 'scripted:6:700',
        tools: ['save_memory'],
        input: `CALL save_memory {"key":"fact-${i}","content":"remember ${i}"}`,
        constraints: { maxSteps: 6, stepTimeoutMs: 3_000 },
      }));
    }
    const ids = spawned.map((a) => a.id);
    // Wait until every agent has acknowledged work (a stored reply) and a step is in flight.
    await waitFor(
      async () => stack.db.db.select({ n: sql<number>`count(*)::int` }).from(contextPages).where(and(inArray(contextPages.agentId, ids), eq(contextPages.purpose, 'reply'))),
      (rows) => (rows[0]?.n ?? 0) >= 8,
      60_000,
      'two acknowledged steps per agent',
    );
    // Kill while a model call is in flight: a step has started and not completed.
    await waitFor(
      async () => rowsOf<{ n: number }>(await stack.db.db.execute(sql`select count(*)::int as n from agent_events s where s.kind = 'step.started' and s.agent_id in (${sql.join(ids.map((id) => sql`${id}`), sql`, `)})
        and not exists (select 1 from agent_events c where c.agent_id = s.agent_id and c.step = s.step and c.kind = 'step.completed')`)),
      (rows) => (rows[0]?.n ?? 0) > 0,
      30_000,
      'a step in flight',
    );
    const before = await stack.db.db.select({ id: contextPages.id, body: contextPages.body }).from(contextPages).where(and(inArray(contextPages.agentId, ids), eq(contextPages.purpose, 'reply')));
    await first.kill();
    startNode();

    for (const id of ids) {
      const done = await agents.settle(id);
      expect(done).toMatchObject({ status: 'completed', step: 6, exitReason: 'final_answer' });
    }
    // Acknowledged replies survived unchanged.
    const after = await stack.db.db.select({ id: contextPages.id, body: contextPages.body }).from(contextPages).where(inArray(contextPages.id, before.map((p) => p.id)));
    expect(after.sort((a, b) => a.id.localeCompare(b.id))).toEqual(before.sort((a, b) => a.id.localeCompare(b.id)));
    // Exactly one reply, one ledger row per step; the side effect happened once per agent.
    for (const id of ids) {
      const replies = await stack.db.db.select().from(contextPages).where(and(eq(contextPages.agentId, id), eq(contextPages.purpose, 'reply')));
      expect(replies.map((p) => p.step).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await stack.db.db.select().from(usageLedger).where(eq(usageLedger.agentId, id))).toHaveLength(6);
      expect(await stack.db.db.select().from(memories).where(eq(memories.agentId, id))).toHaveLength(1);
    }
    // The crash really interrupted work: work was left, and some activity ran a second attempt.
    expect(before.length).toBeLessThan(ids.length * 6);
    let retriedAttempts = 0;
    for (const id of ids) {
      const history = await stack.client.workflow.getHandle(id).fetchHistory();
      retriedAttempts += (history.events ?? []).filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1).length;
    }
    expect(retriedAttempts).toBeGreaterThanOrEqual(1);
  }, 120_000);
});

describe('a node killed with SIGKILL while a slow side-effecting tool runs', () => {
  test('the tool runs a second attempt on another node, and its effect happens once', async () => {
    // Only the node about to be killed may run the tool: the earlier test's nodes go first.
    await nodes.stopAll();
    const first = startNode();
    const a = await agents.spawn({ name: 'effectful', model: 'scripted:2', tools: ['slow_effect'], input: 'CALL slow_effect {"key":"charge-card","ms":2500}' });
    const effects = () => stack.db.db.select().from(memories).where(and(eq(memories.agentId, a.id), eq(memories.scope, 'effect')));
    // The tool has done its effect and is still working: kill the node under it.
    await waitFor(effects, (rows) => rows.length === 1, 60_000, 'the effect');
    await first.kill();
    startNode();
    const done = await agents.settle(a.id);
    expect(done).toMatchObject({ status: 'completed', step: 2 });
    expect(done.result).toContain('Last tool result: did charge-card');
    expect(await effects()).toHaveLength(1);
    // Two attempts of the tool call in the history: the one the kill interrupted and the retry.
    const history = await stack.client.workflow.getHandle(a.id).fetchHistory();
    const events = history.events ?? [];
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runTool')!;
    const started = events.filter((e) => e.activityTaskStartedEventAttributes && Number(e.activityTaskStartedEventAttributes.scheduledEventId) === Number(scheduled.eventId));
    expect(started.map((e) => e.activityTaskStartedEventAttributes!.attempt)).toEqual([2]);
    const calls = await stack.db.db.select().from(toolCalls).where(eq(toolCalls.agentId, a.id));
    expect(calls.map((c) => ({ tool: c.tool, status: c.status }))).toEqual([{ tool: 'slow_effect', status: 'succeeded' }]);
  }, 120_000);
});

describe('a node killed with SIGKILL mid-crew', () => {
  test('the crew finishes on another node, and every node’s steps appear once', async () => {
    await nodes.stopAll();
    const first = startNode();
    const agent = (input: string) => ({ role: 'a crew member', goal: 'do my part', input, model: 'scripted:4:400' });
    const res = await postJson(stack, '/crews', {
      name: 'survivor crew',
      nodes: [
        { id: 'a', kind: 'agent', agent: agent('start') },
        { id: 'b', kind: 'agent', dependsOn: ['a'], agent: agent('left') },
        { id: 'c', kind: 'agent', dependsOn: ['a'], agent: agent('right') },
        { id: 'd', kind: 'agent', dependsOn: ['b', 'c'], agent: agent('join: {{nodes.b.result}} {{nodes.c.result}}') },
      ],
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    // Kill while the parallel branches are mid-step.
    await waitFor(
      async () => stack.db.db.select().from(contextPages).where(and(like(contextPages.agentId, `${id.replace(/^crew\./, '')}-b-%`), eq(contextPages.purpose, 'reply'))),
      (rows) => rows.length >= 1,
      60_000,
      'branch b under way',
    );
    await first.kill();
    startNode();
    await stack.client.workflow.getHandle(id).result();
    const crew = (await (await rootFetch(`${stack.apiUrl}/crews/${id}`)).json()) as { status: string; nodes: Array<{ id: string; status: string; agentId: string }> };
    expect(crew.status).toBe('completed');
    for (const n of crew.nodes) {
      expect(n.status).toBe('completed');
      const replies = await stack.db.db.select({ step: contextPages.step }).from(contextPages).where(and(eq(contextPages.agentId, n.agentId), eq(contextPages.purpose, 'reply')));
      expect(replies.map((r) => r.step).sort((x, y) => x - y)).toEqual([1, 2, 3, 4]);
      expect(await stack.db.db.select().from(usageLedger).where(eq(usageLedger.agentId, n.agentId))).toHaveLength(4);
    }
    // One agent per node: no node was started twice.
    const crewAgents = await stack.db.db.select().from(agentsTable).where(eq(agentsTable.crewId, id));
    expect(crewAgents).toHaveLength(4);
  }, 180_000);
});
