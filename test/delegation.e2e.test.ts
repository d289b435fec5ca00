/**
 * Agents that delegate and agents that wait: `spawn_agent` starts a sub-agent, waits for its answer
 * and pays for it from the caller's budget (the tree is queryable); `wait` is a durable timer in the
 * workflow (the agent shows `waiting`, hold `timer`, and a kill cuts the wait short).
 */
import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { eq } from 'drizzle-orm';
import { agents } from '../db/schema';
import { inspectingClient } from './support/stack';
import { useStack } from './support/suite';

setDefaultTimeout(120_000);

const suite = useStack({ database: 'postgres' });

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
    const tree = (await (await fetch(`${suite.stack.apiUrl}/agents/${parent.id}/tree`)).json()) as { id: string; children: Array<{ id: string; status: string }> };
    expect(tree.id).toBe(parent.id);
    expect(tree.children.map((c) => [c.id, c.status])).toEqual([[child!.id, 'completed']]);
  });

  test('a sub-agent may only use its caller’s tools', async () => {
    const sub = JSON.stringify({ name: 'greedy', role: 'r', goal: 'g', input: 'x', tools: ['publish'] });
    const parent = await suite.agents.spawn({ name: 'careful', model: 'scripted:2', tools: ['spawn_agent'], input: `CALL spawn_agent ${sub}` });
    const done = await suite.agents.settle(parent.id);
    expect(done.result).toContain('refused: a sub-agent may only use your own tools (not publish)');
    expect(await suite.stack.db.db.select().from(agents).where(eq(agents.parentId, parent.id))).toEqual([]);
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
