import { describe, expect, test } from 'bun:test';
import { lateness, scheduleSpecSchema } from './spec';

describe('schedules', () => {
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  test('a fire taken later than due, or a due fire never taken, shows as late; a paused schedule is never overdue', () => {
    expect(lateness({ paused: false, lastFire: { scheduledAt: t(0), takenAt: t(1) }, nextDue: t(60) }, t(30))).toEqual({ late: false, byMs: 1_000 });
    expect(lateness({ paused: false, lastFire: { scheduledAt: t(0), takenAt: t(0) }, nextDue: t(10) }, new Date(t(10).getTime() + 120_000))).toEqual({ late: true, byMs: 120_000 });
    expect(lateness({ paused: false, lastFire: { scheduledAt: t(0), takenAt: new Date(t(0).getTime() + 90_000) } }, t(0)).late).toBe(true);
    expect(lateness({ paused: true, nextDue: t(10) }, new Date(t(10).getTime() + 3_600_000)).late).toBe(false);
  });
  test('a schedule names one of cron or interval, and one of agent or crew', () => {
    const agent = { name: 'a', role: 'r', goal: 'g', input: 'i' };
    expect(scheduleSpecSchema.safeParse({ name: 's', everyMs: 5_000, agent }).success).toBe(true);
    expect(scheduleSpecSchema.safeParse({ name: 's', everyMs: 5_000, cron: '* * * * *', agent }).success).toBe(false);
    expect(scheduleSpecSchema.safeParse({ name: 's', agent }).success).toBe(false);
    expect(scheduleSpecSchema.safeParse({ name: 's', everyMs: 500, agent }).success).toBe(false);
    expect(scheduleSpecSchema.safeParse({ name: 's', everyMs: 5_000 }).success).toBe(false);
  });
});
