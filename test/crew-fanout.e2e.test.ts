/**
 * Fan-out that never loses work: a foreach over 1,000 items with a cap of 20 runs every item exactly
 * once (a sliding window, continuing as new as its history grows), and a batch is one id to follow,
 * total and cancel.
 */
import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { and, eq, inArray, like } from 'drizzle-orm';
import { agents, contextPages, crewItems } from '../db/schema';
import type { CrewView } from '../kernel/crew/view';
import { useStack } from './support/suite';
import { waitFor } from './support/wait';
import { rootFetch } from './support/keys';

setDefaultTimeout(600_000);

const suite = useStack({ database: 'postgres', env: { LLM_SLOTS: '32' } });
const db = () => suite.stack.db.db;
const get = async (path: string) => (await (await rootFetch(`${suite.stack.apiUrl}${path}`)).json()) as CrewView;

describe('foreach over 1,000 items, 20 at a time', () => {
  test('every item sent is run exactly once, never more than 20 at a time', async () => {
    const items = Array.from({ length: Number(process.env.FANOUT_ITEMS ?? 1_000) }, (_, i) => `item-${i}`);
    const res = await suite.agents.post('/crews', {
      name: 'fanout',
      nodes: [
        { id: 'list', kind: 'agent', agent: { role: 'a lister', goal: 'list the work', input: 'list', model: 'scripted:1' } },
        { id: 'each', kind: 'foreach', dependsOn: ['list'], foreach: { items, concurrency: 20, agent: { role: 'a worker', goal: 'handle one item', input: 'Handle {{item}} (#{{index}}).', model: 'scripted:1' } } },
      ],
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as CrewView;
    await suite.stack.client.workflow.getHandle(id).result();
    const crew = await get(`/crews/${id}`);
    expect(crew.status).toBe('completed');
    expect(crew.nodes.find((n) => n.id === 'each')!.items).toEqual({ total: 1_000, completed: 1_000, failed: 0 });

    // Sent == ran: one item row per input, each completed by its own agent, each agent with one reply.
    const rows = await db().select().from(crewItems).where(and(eq(crewItems.crewId, id), eq(crewItems.nodeId, 'each')));
    expect(rows).toHaveLength(1_000);
    expect(new Set(rows.map((r) => r.value))).toEqual(new Set(items));
    expect(rows.filter((r) => r.status !== 'completed')).toEqual([]);
    const agentIds = rows.map((r) => r.agentId!);
    expect(new Set(agentIds).size).toBe(1_000);
    const itemAgents = await db().select().from(agents).where(and(eq(agents.crewId, id), like(agents.id, '%-each-r1i%')));
    expect(itemAgents).toHaveLength(1_000);
    const replies = await db().select({ agentId: contextPages.agentId }).from(contextPages).where(and(inArray(contextPages.agentId, agentIds), eq(contextPages.purpose, 'reply')));
    expect(replies).toHaveLength(1_000);
    expect(new Set(replies.map((r) => r.agentId)).size).toBe(1_000);
    // Each agent got its own item.
    const input = await db().select({ agentId: contextPages.agentId, body: contextPages.body }).from(contextPages).where(and(inArray(contextPages.agentId, agentIds.slice(0, 50)), eq(contextPages.purpose, 'input')));
    for (const p of input) {
      const row = rows.find((r) => r.agentId === p.agentId)!;
      expect(p.body).toBe(`Handle ${row.value} (#${row.idx}).`);
    }

    // Never more than 20 running at once: the agents' lifetimes overlap at most 20 deep.
    const spans = itemAgents.map((a) => [a.createdAt.getTime(), a.finishedAt!.getTime()] as const);
    const edges = spans.flatMap(([s, e]) => [[s, 1], [e, -1]] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let depth = 0;
    let deepest = 0;
    for (const [, d] of edges) deepest = Math.max(deepest, (depth += d));
    expect(deepest).toBeLessThanOrEqual(20);
    expect(deepest).toBeGreaterThanOrEqual(10);

    // The fan-out continued as new to keep its history small, without losing or repeating an item.
    const runs: string[] = [];
    for await (const wf of suite.stack.client.workflow.list({ query: `WorkflowId = '${id}.each.r1a1'` })) runs.push(wf.runId);
    expect(runs.length).toBeGreaterThan(1);
    // The node's result is the items' results, in order.
    const result = JSON.parse((await db().select().from(contextPages).where(eq(contextPages.id, crew.nodes.find((n) => n.id === 'each')!.resultPageId!)))[0]!.body) as string[];
    expect(result).toHaveLength(1_000);
    expect(result[7]).toContain('Handle item-7 (#7).');
  });
});

describe('batches', () => {
  test('one template over a list of inputs: one id to follow and total, and to cancel', async () => {
    const res = await suite.agents.post('/batches', { name: 'greetings', concurrency: 4, template: { role: 'a greeter', goal: 'greet', input: 'Say hello to {{item}}.', model: 'scripted:2:200' }, inputs: Array.from({ length: 40 }, (_, i) => `person ${i}`) });
    expect(res.status).toBe(201);
    const batch = (await res.json()) as CrewView;
    expect(batch.kind).toBe('batch');
    const running = await waitFor(() => get(`/batches/${batch.id}`), (b) => (b.nodes[0]!.items?.completed ?? 0) >= 4, 60_000, 'a few items done');
    expect(running.status).toBe('running');
    expect((await suite.agents.post(`/batches/${batch.id}/cancel`, {})).status).toBe(202);
    await suite.stack.client.workflow.getHandle(batch.id).result().catch(() => undefined);
    const done = await get(`/batches/${batch.id}`);
    expect(done.status).toBe('cancelled');
    const items = done.nodes[0]!.items!;
    expect(items.total).toBe(40);
    expect(items.completed).toBeLessThan(40);
    // Cancelled items never started another agent: every agent of the batch is finished, none still live.
    const rows = await db().select().from(agents).where(eq(agents.crewId, batch.id));
    expect(rows.filter((r) => !['completed', 'terminated', 'failed'].includes(r.status))).toEqual([]);
    expect(rows.length).toBeLessThan(40);
    expect(done.usage.totalTokens).toBe(rows.reduce((n, r) => n + r.promptTokens + r.completionTokens, 0));
    // A batch is also a crew; a crew is not a batch.
    expect((await rootFetch(`${suite.stack.apiUrl}/crews/${batch.id}`)).status).toBe(200);
  });
});
