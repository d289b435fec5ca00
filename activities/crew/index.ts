import { and, eq, isNull, like } from 'drizzle-orm';
import { appendAudit } from '../../db/audit';
import { crewRunNodes, getCrew, upsertCrewNode } from '../../db/crews';
import { emitEvent } from '../../db/events';
import { agents, crews } from '../../db/schema';
import { createCrewItemActivities } from './items';
import { createCrewNodeActivities, type CrewActivityDeps } from './nodes';

export type { CrewActivityDeps } from './nodes';

/** Builds every activity the crew and foreach workflows use. */
export function createCrewActivities(deps: CrewActivityDeps) {
  const { db, pubsub } = deps;
  return {
    ...createCrewNodeActivities(deps),
    ...createCrewItemActivities(deps),

    /** Records that a node completed through its fallback: the fallback's result stands for it. */
    async stitchFallback(a: { crewId: string; run: number; node: string; via: string }): Promise<void> {
      const rows = await crewRunNodes(db, a.crewId, a.run);
      const fallback = rows.find((r) => r.nodeId === a.via);
      const own = rows.find((r) => r.nodeId === a.node);
      await upsertCrewNode(db, { crewId: a.crewId, run: a.run, nodeId: a.node, kind: own?.kind ?? 'agent', status: 'completed', via: a.via, resultPageId: fallback?.resultPageId ?? null, finishedAt: new Date() });
      await emitEvent(db, pubsub, { agentId: a.crewId, step: a.run, kind: 'node.completed', data: { node: a.node, via: a.via } });
    },

    /**
     * Closes the agents a crew run prepared but never started (the run was cancelled or failed between
     * preparing an agent and starting it): they are terminated, not left `ready`. Called once every
     * child of the run has closed, so no started agent is touched.
     */
    async closeUnstartedAgents(a: { crewId: string; run: number }): Promise<number> {
      const closed = await db
        .update(agents)
        .set({ status: 'terminated', exitReason: 'killed', error: 'the crew stopped before this agent started', finishedAt: new Date(), updatedAt: new Date() })
        .where(and(eq(agents.crewId, a.crewId), eq(agents.status, 'ready'), isNull(agents.runId), like(agents.id, `%-r${a.run}%`)))
        .returning({ id: agents.id });
      return closed.length;
    },

    /** Records how a crew run ended (idempotent per run): the crew's status, the `crew.finished` event, the audit entry. */
    async finishCrew(a: { crewId: string; run: number; status: 'completed' | 'failed' | 'cancelled'; failedNode: string | null; runId: string }): Promise<void> {
      const crew = await getCrew(db, a.crewId);
      if (!crew || crew.run !== a.run) return;
      const error = a.status === 'failed' ? `node ${a.failedNode ?? '?'} failed` : a.status === 'cancelled' ? 'cancelled' : null;
      const updated = await db
        .update(crews)
        .set({ status: a.status, error, finishedAt: new Date(), updatedAt: new Date() })
        .where(and(eq(crews.id, a.crewId), eq(crews.run, a.run)))
        .returning({ id: crews.id });
      if (updated.length === 0) return;
      await appendAudit(db, { actor: 'kernel', action: `crew.${a.status}`, subject: a.crewId, data: { run: a.run, failedNode: a.failedNode }, idempotencyKey: `crew.finish:${a.crewId}:${a.run}` });
      await emitEvent(db, pubsub, { agentId: a.crewId, step: a.run, kind: 'crew.finished', data: { status: a.status, run: a.run, failedNode: a.failedNode } });
    },
  };
}

/** The crew activities, as the crew workflows proxy them (type only). */
export type CrewActivities = ReturnType<typeof createCrewActivities>;
