import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { contextPages } from '../db/schema';
import { useStack } from './support/suite';

// This suite starts real servers; bun's 5 s default is too short for its hooks.
setDefaultTimeout(120_000);

// One LLM slot per provider: every model call queues behind the others, so order is decided by
// the priority keys the kernel puts on each step.
const suite = useStack({ database: 'postgres', env: { LLM_SLOTS: '1', AGING_INTERVAL_MS: '1500' } });

/** Which agent each model reply belonged to, in the order the replies were written. */
async function replyOrder(ids: string[]): Promise<string[]> {
  const rows = await suite.stack.db.db
    .select({ agentId: contextPages.agentId })
    .from(contextPages)
    .where(and(inArray(contextPages.agentId, ids), eq(contextPages.purpose, 'reply')))
    .orderBy(asc(contextPages.createdAt));
  return rows.map((r) => r.agentId);
}

describe('priority scheduling on the real server', () => {
  test('under saturation high-priority steps go first, and low-priority agents still finish', async () => {
    const low = [];
    for (let i = 0; i < 4; i++) low.push(await suite.agents.spawn({ name: `low-${i}`, model: 'scripted:4:40', priority: 10 }));
    const high = [];
    for (let i = 0; i < 4; i++) high.push(await suite.agents.spawn({ name: `high-${i}`, model: 'scripted:4:40', priority: 1 }));
    const finished = new Map<string, number>();
    const t0 = performance.now();
    await Promise.all([...low, ...high].map(async (a) => {
      const done = await suite.agents.settle(a.id);
      expect(done.status).toBe('completed');
      finished.set(a.id, performance.now() - t0);
    }));
    const mean = (xs: Array<{ id: string }>) => xs.reduce((s, a) => s + finished.get(a.id)!, 0) / xs.length;
    expect(mean(high)).toBeLessThan(mean(low));
    // The last high-priority agent finishes before the last low-priority one, though spawned later.
    expect(Math.max(...high.map((a) => finished.get(a.id)!))).toBeLessThan(Math.max(...low.map((a) => finished.get(a.id)!)));
    const lowIds = new Set(low.map((a) => a.id));
    const replies = await replyOrder([...low, ...high].map((a) => a.id));
    expect(replies).toHaveLength(32);
    // Low-priority agents were spawned first, yet most of the first half of the replies went to high ones.
    const lowInFirstHalf = replies.slice(0, 16).filter((id) => lowIds.has(id)).length;
    expect(lowInFirstHalf).toBeLessThan(8);
  }, 60_000);

  test('a step left waiting an aging interval is re-queued at a higher priority (no starvation)', async () => {
    const high = [];
    for (let i = 0; i < 16; i++) high.push(await suite.agents.spawn({ name: `busy-${i}`, model: 'scripted:5:50', priority: 1 }));
    const starved = await suite.agents.spawn({ name: 'starved', model: 'scripted:2:10', priority: 10 });
    const done = await suite.agents.settle(starved.id);
    expect(done.status).toBe('completed');
    const history = await suite.stack.client.workflow.getHandle(starved.id).fetchHistory();
    const timedOut = (history.events ?? []).filter((e) => e.activityTaskTimedOutEventAttributes);
    expect(timedOut.length).toBeGreaterThanOrEqual(1);
    const keys = (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name === 'llmStep' ? [e.activityTaskScheduledEventAttributes.priority?.priorityKey ?? 0] : []));
    expect(keys[0]).toBe(5);
    expect(Math.min(...keys)).toBeLessThan(5);
    await Promise.all(high.map((a) => suite.agents.settle(a.id)));
  }, 60_000);
});
