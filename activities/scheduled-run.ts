import { ApplicationFailure } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import { prepareCrew } from '../control/crews';
import { prepareAgent, type PrepareDeps } from '../control/spawn';
import { schedules } from '../db/schema';
import { slugify } from '../kernel/agent/spawn';
import type { ScheduleSpec } from '../kernel/schedule/spec';
import type { PreparedChild } from './crew/nodes';
import type { CrewRunInput } from '../workflows/crew-api';

/** What one fire of a schedule starts: an agent (prepared) or a crew (stored), as a child of the run. */
export type ScheduledChild = { kind: 'agent'; child: PreparedChild } | { kind: 'crew'; crew: CrewRunInput; summary: string };

/** Builds the activity that prepares what a schedule's fire starts (idempotent per fire). */
export function createScheduledRun(deps: PrepareDeps) {
  return {
    /** Prepares the agent or crew of one fire; `fire` names it (from the run's workflow id, unique per fire). */
    async prepareScheduledRun(a: { scheduleId: string; fire: string }): Promise<ScheduledChild> {
      const [row] = await deps.db.select().from(schedules).where(eq(schedules.id, a.scheduleId)).limit(1);
      if (!row) throw ApplicationFailure.nonRetryable(`schedule ${a.scheduleId} is not in the database`, 'ScheduleNotFound');
      const spec = row.spec as ScheduleSpec;
      const stamp = a.fire.toLowerCase().replace(/[^a-z0-9]+/g, '').slice(-14);
      if (spec.agent) {
        const agentId = `${slugify(spec.agent.name).slice(0, 30)}-s${stamp}`;
        // The schedule's tenant is the agent's, whatever its stored spec names; a scheduled agent borrows from no parent.
        const prepared = await prepareAgent(deps, { ...spec.agent, tenant: row.tenant, parentId: undefined }, { actor: `schedule:${row.id}`, agentId });
        return { kind: 'agent', child: { agentId, run: prepared.run, name: prepared.label.name, summary: `${prepared.label.summary} (schedule ${row.name})`.slice(0, 200) } };
      }
      const crew = await prepareCrew(deps, { ...spec.crew!, tenant: row.tenant }, `crew.${slugify(spec.crew!.name).slice(0, 30)}-s${stamp}`, { actor: `schedule:${row.id}` });
      return { kind: 'crew', crew, summary: `${spec.crew!.name}: ${spec.crew!.nodes.length} nodes (schedule ${row.name})`.slice(0, 200) };
    },
  };
}
