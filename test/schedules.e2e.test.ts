/**
 * Schedules on the real server: a Temporal Schedule that fires (a short interval), starts an agent
 * each time and runs it to the end, pauses and unpauses, fires on demand, says when it fires next and
 * whether it is late, and is deleted; bad cron is refused with Temporal's reason.
 */
import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { eq, like } from 'drizzle-orm';
import { agents, crews } from '../db/schema';
import { useStack } from './support/suite';
import { waitFor } from './support/wait';
import { rootFetch } from './support/keys';

setDefaultTimeout(180_000);

const suite = useStack({ database: 'postgres' });
const api = () => suite.stack.apiUrl!;
interface View { id: string; paused: boolean; fires: number; nextFires: string[]; recentFires: Array<{ scheduledAt: string; takenAt: string; workflowId: string | null }>; late: boolean; starts: string; note: string | null }
const get = async (id: string) => (await (await rootFetch(`${api()}/schedules/${id}`)).json()) as View;
const spawned = (prefix: string) => suite.stack.db.db.select().from(agents).where(like(agents.id, `${prefix}-s%`));

describe('schedules', () => {
  test('an interval schedule fires, each fire runs an agent to the end; pause stops it, unpause and trigger resume it; delete removes it', async () => {
    const res = await suite.agents.post('/schedules', { name: 'heartbeat', everyMs: 2_000, overlap: 'skip', agent: { name: 'pulse', role: 'a pulse', goal: 'report in', input: 'report', model: 'scripted:1' } });
    expect(res.status).toBe(201);
    const created = (await res.json()) as View;
    expect(created).toMatchObject({ starts: 'agent', paused: false, late: false });
    expect(created.nextFires.length).toBeGreaterThan(0);
    const fired = await waitFor(() => spawned('pulse'), (rows) => rows.filter((r) => r.status === 'completed').length >= 2, 30_000, 'two fires that completed');
    expect(new Set(fired.map((r) => r.id)).size).toBe(fired.length);
    const seen = await get(created.id);
    expect(seen.fires).toBeGreaterThanOrEqual(2);
    expect(seen.recentFires.at(-1)!.workflowId).toStartWith(`${created.id}.fire`);
    expect(seen.late).toBe(false);

    const paused = (await (await suite.agents.post(`/schedules/${created.id}/pause`, { note: 'maintenance' })).json()) as View;
    expect(paused.paused).toBe(true);
    // The note is user text: the kernel keeps it, Temporal's (unencrypted) schedule state never sees it.
    expect(paused.note).toBe('maintenance');
    expect((await suite.stack.client.schedule.getHandle(created.id).describe()).state.note ?? '').not.toContain('maintenance');
    const during = (await spawned('pulse')).length;
    await Bun.sleep(5_000);
    expect((await get(created.id)).paused).toBe(true);
    // Allow a fire already in flight when the pause landed, but no new ones.
    expect((await spawned('pulse')).length).toBeLessThanOrEqual(during + 1);

    const before = (await spawned('pulse')).length;
    expect((await suite.agents.post(`/schedules/${created.id}/trigger`, {})).status).toBe(200);
    await waitFor(() => spawned('pulse'), (rows) => rows.length > before, 20_000, 'the triggered fire');
    expect((await suite.agents.post(`/schedules/${created.id}/unpause`, {})).status).toBe(200);
    expect((await get(created.id)).paused).toBe(false);

    const deleted = await rootFetch(`${api()}/schedules/${created.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect((await rootFetch(`${api()}/schedules/${created.id}`)).status).toBe(404);
    expect(await suite.stack.client.schedule.getHandle(created.id).describe().catch((e: unknown) => (e as Error).name)).toBe('ScheduleNotFoundError');
  });

  test('a cron schedule in a timezone says when it fires next; a crew can be scheduled too', async () => {
    const res = await suite.agents.post('/schedules', { name: 'weekday report', cron: '0 9 * * 1-5', timezone: 'Europe/Paris', paused: true, crew: { name: 'report', nodes: [{ id: 'write', kind: 'agent', agent: { role: 'r', goal: 'g', input: 'write' } }] } });
    expect(res.status).toBe(201);
    const s = (await res.json()) as View & { timezone: string; cron: string };
    expect(s).toMatchObject({ starts: 'crew', paused: true, timezone: 'Europe/Paris', cron: '0 9 * * 1-5' });
    const next = new Date(s.nextFires[0]!);
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' }).format(next)).toBe('09:00');
    // Fired by hand (it is paused), it starts the crew as the run's child.
    expect((await suite.agents.post(`/schedules/${s.id}/trigger`, {})).status).toBe(200);
    const crewRows = await waitFor(() => suite.stack.db.db.select().from(crews).where(like(crews.id, 'crew.report-s%')), (rows) => rows.some((r) => r.status === 'completed'), 60_000, 'the scheduled crew');
    expect(crewRows[0]!.tenant).toBe('default');
    await rootFetch(`${api()}/schedules/${s.id}`, { method: 'DELETE' });
  });

  test('a bad cron is a 400 with the reason, and nothing is kept', async () => {
    const res = await suite.agents.post('/schedules', { name: 'broken', cron: '99 99 * * *', agent: { name: 'x', role: 'r', goal: 'g', input: 'i' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toContain('schedule');
    const list = (await (await rootFetch(`${api()}/schedules`)).json()) as { schedules: View[] };
    expect(list.schedules.filter((x) => x.id.startsWith('sched.broken'))).toEqual([]);
    expect(await suite.stack.db.db.select().from(agents).where(eq(agents.name, 'x'))).toEqual([]);
  });
});
