import { ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleDescription } from '@temporalio/client';
import { desc, eq, sql } from 'drizzle-orm';
import { appendAudit } from '../db/audit';
import { schedules } from '../db/schema';
import { slugify } from '../kernel/agent/spawn';
import type { ScheduleSpec } from '../kernel/schedule/spec';
import { lateness } from '../kernel/schedule/spec';
import { unknownKernelTools } from './tool-names';
import { KernelError, rootMessage } from '../kernel/errors';
import type { ControlDeps } from './deps';
import { checkCrew } from './crews';
import { withTemporal } from './temporal';

/** What Temporal's schedule state says instead of a note (notes are user text, kept in Postgres). */
const TEMPORAL_NOTE = 'managed by the Agent OS Kernel (notes: GET /schedules/:id)';

const OVERLAP: Record<ScheduleSpec['overlap'], ScheduleOverlapPolicy> = {
  skip: ScheduleOverlapPolicy.SKIP,
  buffer_one: ScheduleOverlapPolicy.BUFFER_ONE,
  buffer_all: ScheduleOverlapPolicy.BUFFER_ALL,
  cancel_other: ScheduleOverlapPolicy.CANCEL_OTHER,
  terminate_other: ScheduleOverlapPolicy.TERMINATE_OTHER,
  allow_all: ScheduleOverlapPolicy.ALLOW_ALL,
};

/** A schedule as the API shows it: its spec, whether it is paused, when it fires next, what it fired, and whether it is late. */
export interface ScheduleView {
  id: string;
  name: string;
  tenant: string;
  starts: 'agent' | 'crew';
  cron: string | null;
  everyMs: number | null;
  timezone: string;
  overlap: ScheduleSpec['overlap'];
  paused: boolean;
  note: string | null;
  nextFires: string[];
  recentFires: Array<{ scheduledAt: string; takenAt: string; workflowId: string | null }>;
  fires: number;
  late: boolean;
  lateByMs: number;
  createdAt: string;
}

/** A new schedule id: `sched.<slug>-<10 random base-36 characters>`. */
function newScheduleId(name: string): string {
  let suffix = '';
  for (let i = 0; i < 10; i++) suffix += Math.floor(Math.random() * 36).toString(36);
  return `sched.${slugify(name).slice(0, 30)}-${suffix}`;
}

async function scheduleRow(deps: ControlDeps, id: string) {
  const [row] = await deps.db.select().from(schedules).where(eq(schedules.id, id)).limit(1);
  if (!row) throw new KernelError('not_found', `no schedule with id "${id}"`);
  return row;
}

/** Runs a call on a schedule's handle: a schedule Temporal no longer has is a 404; a refusal a 400. */
async function onSchedule<T>(deps: ControlDeps, id: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await withTemporal(deps, what, fn);
  } catch (err) {
    if (err instanceof KernelError) throw err;
    if (err instanceof ScheduleNotFoundError) throw new KernelError('not_found', `schedule ${id} is not in Temporal`, { cause: err });
    throw new KernelError('invalid_input', `Temporal refused to ${what}: ${rootMessage(err)}`, { cause: err });
  }
}

/**
 * Creates a schedule backed by a Temporal Schedule: each fire starts `scheduledRunWorkflow`, which
 * starts the agent or crew the schedule names and runs it to the end (so the overlap policy sees it).
 * An invalid cron or timezone is a 400 with Temporal's reason, and nothing is kept.
 */
export async function createSchedule(deps: ControlDeps, spec: ScheduleSpec, actor = 'api'): Promise<ScheduleView> {
  if (spec.crew) checkCrew(deps, spec.crew);
  if (spec.agent) {
    const unknown = unknownKernelTools(deps.tools, spec.agent.tools);
    if (unknown.length > 0) throw new KernelError('invalid_input', `unknown tools: ${unknown.join(', ')}`);
  }
  if (spec.agent?.parentId) throw new KernelError('invalid_input', 'a scheduled agent cannot name a parentId: each fire is its own root agent');
  // What the schedule starts runs in the schedule's tenant, whatever its agent or crew names.
  spec = { ...spec, ...(spec.agent ? { agent: { ...spec.agent, tenant: spec.tenant } } : {}), ...(spec.crew ? { crew: { ...spec.crew, tenant: spec.tenant } } : {}) };
  const id = newScheduleId(spec.name);
  await deps.db.insert(schedules).values({ id, name: spec.name, tenant: spec.tenant, spec });
  try {
    await onSchedule(deps, id, 'create the schedule', () =>
      deps.client.schedule.create({
        scheduleId: id,
        spec: spec.cron ? { cronExpressions: [spec.cron], timezone: spec.timezone } : { intervals: [{ every: spec.everyMs! }] },
        action: { type: 'startWorkflow', workflowType: 'scheduledRunWorkflow', args: [{ scheduleId: id }], taskQueue: deps.taskQueue, workflowId: `${id}.fire` },
        policies: { overlap: OVERLAP[spec.overlap], catchupWindow: spec.catchupWindowMs, pauseOnFailure: false },
        // The note is user text: it stays in Postgres (Temporal's schedule state is never encrypted).
        state: { paused: spec.paused, note: TEMPORAL_NOTE },
        memo: { name: spec.name, tenant: spec.tenant },
      }),
    );
  } catch (err) {
    await deps.db.delete(schedules).where(eq(schedules.id, id));
    throw err;
  }
  await appendAudit(deps.db, { actor, action: 'schedule.created', subject: id, data: { name: spec.name, cron: spec.cron ?? null, everyMs: spec.everyMs ?? null, starts: spec.agent ? 'agent' : 'crew' }, idempotencyKey: `schedule.create:${id}` });
  return describeSchedule(deps, id);
}

/** A schedule with its Temporal state: next fires, recent fires, and lateness. */
export async function describeSchedule(deps: ControlDeps, id: string): Promise<ScheduleView> {
  const row = await scheduleRow(deps, id);
  const d: ScheduleDescription = await onSchedule(deps, id, 'describe the schedule', () => deps.client.schedule.getHandle(id).describe());
  const spec = row.spec as ScheduleSpec;
  const recent = d.info.recentActions;
  const last = recent.at(-1);
  const late = lateness({ paused: d.state.paused, lastFire: last ? { scheduledAt: last.scheduledAt, takenAt: last.takenAt } : undefined, nextDue: d.info.nextActionTimes[0] }, new Date());
  return {
    id,
    name: row.name,
    tenant: row.tenant,
    starts: spec.agent ? 'agent' : 'crew',
    cron: spec.cron ?? null,
    everyMs: spec.everyMs ?? null,
    timezone: spec.timezone ?? 'UTC',
    overlap: spec.overlap,
    paused: d.state.paused,
    note: spec.note ?? null,
    nextFires: d.info.nextActionTimes.slice(0, 5).map((t) => t.toISOString()),
    recentFires: recent.map((r) => ({ scheduledAt: r.scheduledAt.toISOString(), takenAt: r.takenAt.toISOString(), workflowId: r.action.type === 'startWorkflow' ? r.action.workflow.workflowId : null })),
    fires: d.info.numActionsTaken,
    late: late.late,
    lateByMs: late.byMs,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Schedules, newest first. */
export async function listSchedules(deps: ControlDeps, limit: number, offset: number, tenant: string | null = null): Promise<ScheduleView[]> {
  const rows = await deps.db.select({ id: schedules.id }).from(schedules).where(tenant === null ? undefined : eq(schedules.tenant, tenant)).orderBy(desc(schedules.createdAt)).limit(limit).offset(offset);
  return Promise.all(rows.map((r) => describeSchedule(deps, r.id)));
}

/** Pauses, unpauses or fires a schedule now (audited). */
export async function controlSchedule(deps: ControlDeps, id: string, action: 'pause' | 'unpause' | 'trigger', note: string | undefined, actor = 'api'): Promise<ScheduleView> {
  await scheduleRow(deps, id);
  const handle = deps.client.schedule.getHandle(id);
  await onSchedule(deps, id, `${action} the schedule`, () => (action === 'pause' ? handle.pause(TEMPORAL_NOTE) : action === 'unpause' ? handle.unpause(TEMPORAL_NOTE) : handle.trigger()));
  if (note !== undefined && action !== 'trigger') await deps.db.update(schedules).set({ spec: sql`jsonb_set(${schedules.spec}, '{note}', to_jsonb(${note}::text))` }).where(eq(schedules.id, id));
  await appendAudit(deps.db, { actor, action: `schedule.${action}`, subject: id, data: { note: note ?? null }, idempotencyKey: `schedule.${action}:${id}:${crypto.randomUUID()}` });
  return describeSchedule(deps, id);
}

/** Deletes a schedule (runs it started go on); audited. */
export async function deleteSchedule(deps: ControlDeps, id: string, actor = 'api'): Promise<void> {
  await scheduleRow(deps, id);
  await onSchedule(deps, id, 'delete the schedule', () => deps.client.schedule.getHandle(id).delete()).catch((err: unknown) => {
    if (!(err instanceof KernelError && err.code === 'not_found')) throw err;
  });
  await deps.db.delete(schedules).where(eq(schedules.id, id));
  await appendAudit(deps.db, { actor, action: 'schedule.deleted', subject: id, data: {}, idempotencyKey: `schedule.delete:${id}` });
}
