import { z } from 'zod';
import { spawnAgentSchema } from '../agent/spawn';
import { crewSpecSchema } from '../crew/spec';

/** How a schedule treats a fire that comes while the previous run still runs (Temporal's overlap policies). */
export const overlapSchema = z.enum(['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'terminate_other', 'allow_all']);

/** The body of `POST /schedules`: when (cron or interval, in a timezone), what (an agent or a crew), and how. */
export const scheduleSpecSchema = z
  .object({
    name: z.string().trim().min(1).max(80).regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/, 'name may hold letters, digits, spaces, "_", "." and "-"'),
    tenant: z.string().trim().min(1).max(80).default('default'),
    /** A cron expression (5 fields), e.g. `0 9 * * MON-FRI`… */
    cron: z.string().trim().min(9).max(200).optional(),
    /** …or an interval in milliseconds (at least a second). */
    everyMs: z.number().int().min(1_000).max(366 * 24 * 3_600_000).optional(),
    /** IANA timezone for cron, e.g. `Europe/Paris` (default UTC). */
    timezone: z.string().trim().min(1).max(64).optional(),
    overlap: overlapSchema.default('skip'),
    /** How late a missed fire (the server was down) may still run. */
    catchupWindowMs: z.number().int().min(1_000).max(366 * 24 * 3_600_000).default(60_000),
    paused: z.boolean().default(false),
    note: z.string().max(500).optional(),
    /** What each fire starts: an agent (the body of POST /agents)… */
    agent: spawnAgentSchema.optional(),
    /** …or a crew (the body of POST /crews). */
    crew: crewSpecSchema.optional(),
  })
  .strict()
  .refine((s) => (s.cron === undefined) !== (s.everyMs === undefined), { message: 'a schedule names either cron or everyMs', path: ['cron'] })
  .refine((s) => (s.agent === undefined) !== (s.crew === undefined), { message: 'a schedule starts either an agent or a crew', path: ['agent'] });

/** A validated schedule. */
export type ScheduleSpec = z.infer<typeof scheduleSpecSchema>;

/** How late a fire may be before the schedule shows as late. */
export const LATE_AFTER_MS = 60_000;

/**
 * Whether a schedule is late, and by how much: its last fire was taken later than it was due, or a
 * fire that was due has not been taken at all (a schedule that silently stopped firing).
 */
export function lateness(s: { paused: boolean; lastFire?: { scheduledAt: Date; takenAt: Date }; nextDue?: Date }, now: Date, lateAfterMs = LATE_AFTER_MS): { late: boolean; byMs: number } {
  const fireDelay = s.lastFire ? s.lastFire.takenAt.getTime() - s.lastFire.scheduledAt.getTime() : 0;
  const overdue = !s.paused && s.nextDue ? now.getTime() - s.nextDue.getTime() : 0;
  const byMs = Math.max(0, fireDelay, overdue);
  return { late: byMs > lateAfterMs, byMs };
}
