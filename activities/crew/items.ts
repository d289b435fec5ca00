import { ApplicationFailure } from '@temporalio/activity';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { ensureCrewOwner, nodeResults, upsertCrewNode } from '../../db/crews';
import { emitEvent } from '../../db/events';
import { readPages, writePage } from '../../db/pages';
import { crewItems } from '../../db/schema';
import type { Budget } from '../../kernel/cost/budget';
import { itemsOf } from '../../kernel/crew/render';
import { MAX_FOREACH_ITEMS } from '../../kernel/crew/spec';
import { crewItemAgentPrefix, crewNode, prepareCrewAgent, type CrewActivityDeps, type NodeAddress, type PreparedChild } from './nodes';
import { isKernelError } from '../../kernel/errors';

/** How much of each item's result the collected result of a foreach keeps. */
const ITEM_RESULT_CHARS = 2_000;

/** Builds the foreach activities: expand the items, prepare them in batches, collect the results. */
export function createCrewItemActivities(deps: CrewActivityDeps) {
  const { db, pubsub } = deps;
  return {
    /** Stores a foreach node's items (its own list, or its source's result as a list) and returns how many. */
    async expandCrewItems(a: NodeAddress & { attempt: number }): Promise<number> {
      const { node } = await crewNode(db, a);
      if (node.kind !== 'foreach') throw ApplicationFailure.nonRetryable(`node ${a.node} is not a foreach node`, 'CrewNodeKind');
      let items = node.foreach.items;
      if (!items) {
        const source = (await nodeResults(db, a.crewId, a.run, [node.foreach.over!]))[node.foreach.over!];
        items = itemsOf(source?.result ?? null);
      }
      if (items.length > MAX_FOREACH_ITEMS) throw ApplicationFailure.nonRetryable(`foreach ${a.node} has ${items.length} items; at most ${MAX_FOREACH_ITEMS} may run`, 'TooManyItems');
      for (let i = 0; i < items.length; i += 500) {
        await db
          .insert(crewItems)
          .values(items.slice(i, i + 500).map((value, j) => ({ crewId: a.crewId, run: a.run, nodeId: a.node, idx: i + j, value })))
          .onConflictDoNothing();
      }
      await upsertCrewNode(db, { crewId: a.crewId, run: a.run, nodeId: a.node, kind: 'foreach', status: 'running', attempt: a.attempt, items: items.length, itemsCompleted: 0, itemsFailed: 0, startedAt: new Date(), finishedAt: null });
      await emitEvent(db, pubsub, { agentId: a.crewId, step: a.run, kind: 'node.started', data: { node: a.node, attempt: a.attempt, items: items.length } });
      return items.length;
    },

    /** Prepares the agents of items `indices` (each at its attempt), each with its share of the budget; fewer, in order, when the tenant's cap of live agents fills. */
    async startCrewItems(a: NodeAddress & { items: Array<{ index: number; attempt: number }>; budget: Budget }): Promise<PreparedChild[]> {
      const { node } = await crewNode(db, a);
      if (node.kind !== 'foreach') throw ApplicationFailure.nonRetryable(`node ${a.node} is not a foreach node`, 'CrewNodeKind');
      const indices = a.items.map((i) => i.index);
      const rows = await db.select().from(crewItems).where(and(eq(crewItems.crewId, a.crewId), eq(crewItems.run, a.run), eq(crewItems.nodeId, a.node), inArray(crewItems.idx, indices)));
      const value = new Map(rows.map((r) => [r.idx, r.value]));
      const out: PreparedChild[] = [];
      for (const item of a.items) {
        const v = value.get(item.index);
        if (v === undefined) throw ApplicationFailure.nonRetryable(`foreach ${a.node} has no item ${item.index}`, 'CrewItemNotFound');
        let child: PreparedChild;
        try {
          child = await prepareCrewAgent(deps, { ...a, attempt: item.attempt, budget: a.budget, item: { index: item.index, value: v } }, node.foreach.agent);
        } catch (err) {
          // The tenant's cap of live agents is full: start what was prepared, and the workflow asks for
          // the rest later (with none prepared, the activity's retries wait for room).
          if (isKernelError(err, 'rate_limited') && out.length > 0) break;
          throw err;
        }
        await db.update(crewItems).set({ agentId: child.agentId, status: 'running' }).where(and(eq(crewItems.crewId, a.crewId), eq(crewItems.run, a.run), eq(crewItems.nodeId, a.node), eq(crewItems.idx, item.index)));
        out.push(child);
      }
      return out;
    },

    /** Records how a batch of items ended (their agents' results), and the node's progress. */
    async settleCrewItems(a: NodeAddress & { settled: Array<{ index: number; status: 'completed' | 'failed'; resultPageId: string | null }> }): Promise<void> {
      for (const s of a.settled) {
        await db.update(crewItems).set({ status: s.status, resultPageId: s.resultPageId }).where(and(eq(crewItems.crewId, a.crewId), eq(crewItems.run, a.run), eq(crewItems.nodeId, a.node), eq(crewItems.idx, s.index)));
      }
      const [counts] = await db
        .select({ done: sql<number>`(count(*) filter (where ${crewItems.status} = 'completed'))::int`, failed: sql<number>`(count(*) filter (where ${crewItems.status} = 'failed'))::int` })
        .from(crewItems)
        .where(and(eq(crewItems.crewId, a.crewId), eq(crewItems.run, a.run), eq(crewItems.nodeId, a.node)));
      await upsertCrewNode(db, { crewId: a.crewId, run: a.run, nodeId: a.node, kind: 'foreach', itemsCompleted: counts?.done ?? 0, itemsFailed: counts?.failed ?? 0 });
    },

    /** Collects a finished foreach: its items' results as one JSON list page (the node's result), and what its agents spent. */
    async collectCrewItems(a: NodeAddress & { attempt: number }): Promise<{ resultPageId: string; completed: number; failed: number; agentPrefix: string }> {
      const { crew } = await crewNode(db, a);
      const rows = await db.select().from(crewItems).where(and(eq(crewItems.crewId, a.crewId), eq(crewItems.run, a.run), eq(crewItems.nodeId, a.node))).orderBy(asc(crewItems.idx));
      const bodies = new Map<string, string>();
      const pageIds = rows.flatMap((r) => (r.resultPageId ? [r.resultPageId] : []));
      for (let i = 0; i < pageIds.length; i += 500) for (const p of await readPages(db, pageIds.slice(i, i + 500)).catch(() => [])) bodies.set(p.id, p.body);
      const list = rows.map((r) => (r.status === 'completed' && r.resultPageId ? (bodies.get(r.resultPageId) ?? '').slice(0, ITEM_RESULT_CHARS) : null));
      await ensureCrewOwner(db, crew);
      const page = await writePage(db, { agentId: crew.id, step: a.run, purpose: `node:${a.node}:${a.attempt}`, kind: 'document', role: 'user', body: JSON.stringify(list) });
      return { resultPageId: page.id, completed: rows.filter((r) => r.status === 'completed').length, failed: rows.filter((r) => r.status === 'failed').length, agentPrefix: crewItemAgentPrefix(a) };
    },
  };
}

