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
    // The run's workflow tasks carry its priority and tenant too (set at start).
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    expect({ key: started?.priority?.priorityKey, fairness: started?.priority?.fairnessKey }).toEqual({ key: 5, fairness: 'default' });
    await Promise.all(high.map((a) => suite.agents.settle(a.id)));
  }, 60_000);

  test('a step that started at once lets the next go without the aging timeout; a step that waited keeps it', async () => {
    const lone = await suite.agents.spawn({ name: 'lone', model: 'scripted:6' });
    await suite.agents.settle(lone.id);
    const { events } = await suite.stack.client.workflow.getHandle(lone.id).fetchHistory();
    const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
    const scheduled = new Map<string, { at: number; aging: boolean }>();
    const steps: Array<{ aging: boolean; queuedMs: number }> = [];
    for (const e of events ?? []) {
      const a = e.activityTaskScheduledEventAttributes;
      if (a?.activityType?.name === 'llmStep') {
        const timeout = ms(a.scheduleToStartTimeout);
        scheduled.set(String(e.eventId), { at: ms(e.eventTime), aging: timeout > 0 && timeout <= 1_500 });
      }
      const started = e.activityTaskStartedEventAttributes;
      const s = started && scheduled.get(String(started.scheduledEventId));
      if (s) steps.push({ aging: s.aging, queuedMs: ms(e.eventTime) - s.at });
    }
    expect(steps).toHaveLength(6);
    // The run's first step is aged (nothing is known yet); after it, aging follows the step before:
    // on after a wait of more than the quiet threshold (150 ms here, a tenth of the 1.5 s interval), off after less.
    expect(steps[0]!.aging).toBe(true);
    for (let i = 1; i < steps.length; i++) {
      if (steps[i - 1]!.queuedMs < 75) expect(steps[i]!.aging).toBe(false);
      if (steps[i - 1]!.queuedMs > 300) expect(steps[i]!.aging).toBe(true);
    }
    // An idle kernel starts its steps at once: most of them go without the timer.
    expect(steps.filter((x) => !x.aging).length).toBeGreaterThanOrEqual(3);
  });

  test('a tenant’s fairness key is honoured by the server: a small tenant is not queued behind a big one', async () => {
    // Same priority everywhere; the big tenant's eight agents are spawned first and keep the one slot busy.
    const big = [];
    for (let i = 0; i < 8; i++) big.push(await suite.agents.spawn({ name: `big-${i}`, model: 'scripted:6:40', priority: 5, tenant: 'big-tenant' }));
    const small = [];
    for (let i = 0; i < 2; i++) small.push(await suite.agents.spawn({ name: `small-${i}`, model: 'scripted:6:40', priority: 5, tenant: 'small-tenant' }));
    const finished = new Map<string, number>();
    const t0 = performance.now();
    await Promise.all([...big, ...small].map(async (a) => {
      expect((await suite.agents.settle(a.id)).status).toBe('completed');
      finished.set(a.id, performance.now() - t0);
    }));
    // First-come-first-served would give each of the ten agents a tenth of the slot, so the small
    // tenant would finish with the rest; shared fairly between two tenants, it gets half while it waits.
    const mean = (xs: Array<{ id: string }>) => xs.reduce((n, a) => n + finished.get(a.id)!, 0) / xs.length;
    expect(Math.max(...small.map((a) => finished.get(a.id)!))).toBeLessThan(mean(big));
    const replies = await replyOrder([...big, ...small].map((a) => a.id));
    const smallIds = new Set(small.map((a) => a.id));
    const positions = replies.flatMap((id, i) => (smallIds.has(id) ? [i] : []));
    expect(positions).toHaveLength(12);
    // The small tenant's twelve replies all land in the first two-thirds of the sixty.
    expect(Math.max(...positions)).toBeLessThan(40);
  }, 90_000);
});
