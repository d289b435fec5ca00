/**
 * Agents that delegate and agents that wait: `spawn_agent` starts a sub-agent, waits for its answer
 * and pays for it from the caller's budget (the tree is queryable); `wait` is a durable timer in the
 * workflow (the agent shows `waiting`, hold `timer`, and a kill cuts the wait short).
 */
import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { nodeResults } from '../db/crews';
import { agents, crews } from '../db/schema';
import { builtinTools } from '../activities/tools/builtin';
import { spawnAgentTool } from '../activities/tools/spawn-agent';
import { inspectingClient } from './support/stack';
import { useStack } from './support/suite';
import { rootFetch } from './support/keys';

setDefaultTimeout(120_000);

const suite = useStack({ database: 'postgres' });

/** Polls until `probe` gives something truthy (30 s at most). */
async function until<T>(probe: () => Promise<T | undefined | false>): Promise<T> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await Bun.sleep(100)) {
    const v = await probe();
    if (v) return v;
  }
  throw new Error('timed out waiting');
}

describe('spawn_agent', () => {
  test('an agent delegates to a sub-agent, gets its answer, and pays for it from its own budget', async () => {
    const sub = JSON.stringify({ name: 'helper', role: 'a helper', goal: 'compute', input: 'CALL calculator {"expression":"6*7"}', tools: ['calculator'], maxTotalTokens: 3_000 });
    const parent = await suite.agents.spawn({ name: 'delegator', model: 'scripted:2', tools: ['spawn_agent', 'calculator'], input: `CALL spawn_agent ${sub}`, constraints: { maxTotalTokens: 50_000 } });
    const done = await suite.agents.settle(parent.id);
    expect(done.status).toBe('completed');
    expect(done.result).toMatch(/Last tool result: sub-agent helper-[0-9a-f]{10} answered: Final answer .*Last tool result: 42/);
    const [child] = await suite.stack.db.db.select().from(agents).where(eq(agents.parentId, parent.id));
    expect(child).toMatchObject({ status: 'completed', tenant: 'default' });
    expect((child!.definition as { constraints: { maxTotalTokens: number } }).constraints.maxTotalTokens).toBeLessThanOrEqual(3_000);
    // The parent counted exactly what the child spent.
    const state = await inspectingClient(suite.stack).workflow.getHandle(parent.id).query<{ childUsage: { promptTokens: number; completionTokens: number } }>('state');
    expect(state.childUsage.promptTokens + state.childUsage.completionTokens).toBe(child!.promptTokens + child!.completionTokens);
    expect(state.childUsage.promptTokens).toBeGreaterThan(0);
    // The tree shows who spawned whom.
    const tree = (await (await rootFetch(`${suite.stack.apiUrl}/agents/${parent.id}/tree`)).json()) as { id: string; children: Array<{ id: string; status: string }> };
    expect(tree.id).toBe(parent.id);
    expect(tree.children.map((c) => [c.id, c.status])).toEqual([[child!.id, 'completed']]);
  });

  test('a retried call starts its sub-agent once and borrows once (the reservation is idempotent per delegate)', async () => {
    // A live caller (waiting for an approval), and the tool run twice with one idempotency key, as a retried activity would.
    const caller = await suite.agents.spawn({ name: 'retrying-lead', model: 'scripted:2', tools: ['spawn_agent', 'publish'], input: 'CALL publish {"channel":"c","text":"t"}', constraints: { maxTotalTokens: 50_000 } });
    await suite.agents.until(caller.id, (v) => v.pendingApproval !== null, 'pending approval');
    const { taskQueue } = await suite.stack.client.workflow.getHandle(caller.id).describe();
    const kernel = { client: suite.stack.client, pubsub: suite.stack.db.pubsub, taskQueue, defaultModel: 'scripted', agingIntervalMs: 30_000, tools: builtinTools() };
    const ctx = { agentId: caller.id, step: 1, callId: 'call_retried', idempotencyKey: `${caller.id}:call_retried`, db: suite.stack.db.db, signal: new AbortController().signal, kernel };
    const childId = `helper-${createHash('sha256').update(ctx.idempotencyKey).digest('hex').slice(0, 10)}`;
    // An attempt that borrowed and then died before it stored the sub-agent: the next attempt gets the same grant, lent once.
    const reserve = () => suite.stack.client.workflow.getHandle(caller.id).executeUpdate<{ maxTotalTokens: number | null }, [{ childId: string; request: { maxTotalTokens: number; maxCostUsd: null } }]>('reserveBudget', { args: [{ childId, request: { maxTotalTokens: 2_000, maxCostUsd: null } }] });
    expect(await reserve()).toEqual(await reserve());
    const lent = await suite.stack.client.workflow.getHandle(caller.id).query<{ childReservations: Record<string, unknown> }>('state');
    expect(Object.keys(lent.childReservations)).toEqual([childId]);
    const args = { name: 'helper', role: 'r', goal: 'g', input: 'help', tools: [], maxTotalTokens: 2_000 };
    const first = await spawnAgentTool.run(args, ctx);
    const second = await spawnAgentTool.run(args, ctx);
    expect(first).toStartWith(`sub-agent ${childId} answered: Final answer`);
    expect(second).toBe(first);
    const children = await suite.stack.db.db.select().from(agents).where(eq(agents.parentId, caller.id));
    expect(children.map((c) => c.id)).toEqual([childId]);
    const settled = await suite.stack.client.workflow.getHandle(caller.id).query<{ childUsage: { promptTokens: number; completionTokens: number }; childReservations: Record<string, unknown> }>('state');
    expect(settled.childReservations).toEqual({});
    expect(settled.childUsage.promptTokens + settled.childUsage.completionTokens).toBe(children[0]!.promptTokens + children[0]!.completionTokens);
    await suite.agents.post(`/agents/${caller.id}/kill`, { reason: 'done' });
  });

  test('killing the caller kills its sub-agent', async () => {
    const sub = JSON.stringify({ name: 'slowpoke', role: 'r', goal: 'g', input: 'think slowly' });
    const lead = await suite.agents.spawn({ name: 'impatient-lead', model: 'scripted:3:1500', tools: ['spawn_agent'], input: `CALL spawn_agent ${sub}` });
    const child = await until(async () => (await suite.stack.db.db.select().from(agents).where(eq(agents.parentId, lead.id)))[0]);
    await suite.agents.until(child.id, (v) => v.status === 'running', 'the sub-agent running');
    expect((await suite.agents.post(`/agents/${lead.id}/kill`, { reason: 'enough' })).status).toBe(202);
    expect(await suite.agents.settle(lead.id)).toMatchObject({ status: 'terminated', exitReason: 'killed' });
    expect(await suite.agents.settle(child.id)).toMatchObject({ status: 'terminated', exitReason: 'killed' });
  });

  test('a sub-agent may only use its caller’s tools', async () => {
    const sub = JSON.stringify({ name: 'greedy', role: 'r', goal: 'g', input: 'x', tools: ['publish'] });
    const parent = await suite.agents.spawn({ name: 'careful', model: 'scripted:2', tools: ['spawn_agent'], input: `CALL spawn_agent ${sub}` });
    const done = await suite.agents.settle(parent.id);
    expect(done.result).toContain('refused: a sub-agent may only use your own tools (not publish)');
    expect(await suite.stack.db.db.select().from(agents).where(eq(agents.parentId, parent.id))).toEqual([]);
  });
});

describe('spawn_crew', () => {
  test('an agent delegates to a sub-crew, gets its last node’s answer, and pays for every member from its own budget', async () => {
    const sub = JSON.stringify({
      name: 'pair',
      maxTotalTokens: 20_000,
      nodes: [
        { id: 'calc', kind: 'agent', agent: { role: 'a calculator', goal: 'compute', input: 'CALL calculator {"expression":"6*7"}', tools: ['calculator'] } },
        { id: 'write', kind: 'agent', dependsOn: ['calc'], agent: { role: 'a writer', goal: 'write it up', input: 'Write up: {{nodes.calc.result}}' } },
      ],
    });
    const parent = await suite.agents.spawn({ name: 'crew-lead', model: 'scripted:2', tools: ['spawn_crew', 'calculator'], input: `CALL spawn_crew ${sub}`, constraints: { maxTotalTokens: 60_000 } });
    const done = await suite.agents.settle(parent.id);
    expect(done.status).toBe('completed');
    expect(done.result).toMatch(/Last tool result: sub-crew crew\.pair-[0-9a-f]{10} completed; write answered: Final answer .*"write it up".*Write up: Final answer .*"compute"/);
    const [crew] = await suite.stack.db.db.select().from(crews).where(eq(crews.parentAgentId, parent.id));
    expect(crew).toMatchObject({ status: 'completed', tenant: 'default' });
    expect((crew!.spec as { budget: { maxTotalTokens: number } }).budget.maxTotalTokens).toBeLessThanOrEqual(20_000);
    expect((await nodeResults(suite.stack.db.db, crew!.id, 1, ['calc'])).calc?.result).toContain('Last tool result: 42');
    const members = await suite.stack.db.db.select().from(agents).where(eq(agents.crewId, crew!.id));
    expect(members.map((m) => m.status).sort()).toEqual(['completed', 'completed']);
    // The parent counted exactly what the crew's members spent, once.
    const membersSpent = members.reduce((n, m) => n + m.promptTokens + m.completionTokens, 0);
    expect(membersSpent).toBeGreaterThan(0);
    const state = await inspectingClient(suite.stack).workflow.getHandle(parent.id).query<{ childUsage: { promptTokens: number; completionTokens: number }; childReservations: Record<string, unknown> }>('state');
    expect(state.childUsage.promptTokens + state.childUsage.completionTokens).toBe(membersSpent);
    expect(state.childReservations).toEqual({});
    // The tree shows the sub-crew's members under the agent that started it.
    const tree = (await (await rootFetch(`${suite.stack.apiUrl}/agents/${parent.id}/tree`)).json()) as { children: Array<{ id: string; crewId: string | null }> };
    expect(tree.children.map((c) => c.crewId)).toEqual([crew!.id, crew!.id]);
    expect(tree.children.map((c) => c.id).sort()).toEqual(members.map((m) => m.id).sort());
    // It belongs to the agent that paid for it: no retry or fork through /crews.
    const retry = await suite.agents.post(`/crews/${crew!.id}/nodes/write/retry`, {});
    expect(retry.status).toBe(409);
    expect(((await retry.json()) as { detail: string }).detail).toContain(`was started by agent ${parent.id}`);
    expect((await suite.agents.post(`/crews/${crew!.id}/fork`, { from: 'write' })).status).toBe(409);
  });

  test('a sub-crew may only use its caller’s tools, and a bad graph is refused with the reason', async () => {
    const greedy = JSON.stringify({ name: 'greedy', nodes: [{ id: 'x', kind: 'agent', agent: { role: 'r', goal: 'g', input: 'x', tools: ['publish'] } }] });
    const a = await suite.agents.spawn({ name: 'careful-lead', model: 'scripted:2', tools: ['spawn_crew'], input: `CALL spawn_crew ${greedy}` });
    expect((await suite.agents.settle(a.id)).result).toContain('refused: a sub-crew may only use your own tools (not publish)');
    const cyclic = JSON.stringify({ name: 'loop', nodes: [{ id: 'x', kind: 'agent', dependsOn: ['y'], agent: { role: 'r', goal: 'g', input: 'x' } }, { id: 'y', kind: 'agent', dependsOn: ['x'], agent: { role: 'r', goal: 'g', input: 'y' } }] });
    const b = await suite.agents.spawn({ name: 'loopy-lead', model: 'scripted:2', tools: ['spawn_crew'], input: `CALL spawn_crew ${cyclic}` });
    expect((await suite.agents.settle(b.id)).result).toMatch(/refused: invalid crew: .*cycle/);
    for (const id of [a.id, b.id]) expect(await suite.stack.db.db.select().from(crews).where(eq(crews.parentAgentId, id))).toEqual([]);
  });

  test('killing the caller cancels its sub-crew', async () => {
    const slow = JSON.stringify({ name: 'slow', nodes: [{ id: 'long', kind: 'agent', agent: { role: 'r', goal: 'g', input: 'think', model: 'scripted:5:60000' } }] });
    const lead = await suite.agents.spawn({ name: 'doomed-lead', model: 'scripted:2', tools: ['spawn_crew'], input: `CALL spawn_crew ${slow}` });
    const crew = await until(async () => (await suite.stack.db.db.select().from(crews).where(eq(crews.parentAgentId, lead.id)))[0]);
    const member = await until(async () => (await suite.stack.db.db.select().from(agents).where(eq(agents.crewId, crew.id)))[0]);
    await suite.agents.until(member.id, (v) => v.status === 'running', 'the member running');
    expect((await suite.agents.post(`/agents/${lead.id}/kill`, { reason: 'stop everything' })).status).toBe(202);
    expect(await suite.agents.settle(lead.id)).toMatchObject({ status: 'terminated', exitReason: 'killed' });
    const result = (await suite.stack.client.workflow.getHandle(crew.id).result()) as { status: string };
    expect(result.status).toBe('cancelled');
  });
});

describe('wait', () => {
  test('the wait tool is a durable timer: the agent waits (hold timer) without a worker, then carries on', async () => {
    const a = await suite.agents.spawn({ name: 'patient', model: 'scripted:2', tools: ['wait'], input: 'CALL wait {"seconds":2}' });
    const waiting = await suite.agents.until(a.id, (v) => v.hold === 'timer', 'the timer');
    expect(waiting.status).toBe('waiting');
    expect(waiting.holdDetail).toContain('waiting 2 s');
    const t0 = Date.now();
    const done = await suite.agents.settle(a.id);
    expect(done).toMatchObject({ status: 'completed', step: 2 });
    expect(done.result).toContain('Last tool result: waited 2 s');
    expect(Date.now() - t0).toBeGreaterThan(500);
    const history = await suite.stack.client.workflow.getHandle(a.id).fetchHistory();
    expect((history.events ?? []).filter((e) => e.timerStartedEventAttributes)).toHaveLength(1);
  });

  test('a kill ends a long wait at once', async () => {
    const a = await suite.agents.spawn({ name: 'sleeper', model: 'scripted:2', tools: ['wait'], input: 'CALL wait {"seconds":86400}' });
    await suite.agents.until(a.id, (v) => v.hold === 'timer', 'the timer');
    expect((await suite.agents.post(`/agents/${a.id}/kill`, { reason: 'no more waiting' })).status).toBe(202);
    expect(await suite.agents.settle(a.id)).toMatchObject({ status: 'terminated', exitReason: 'killed' });
  });
});
