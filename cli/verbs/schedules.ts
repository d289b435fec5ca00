import type { Command } from 'commander';
import type { paths } from '../api-types';
import { unwrap } from '../client';
import { orDash, table } from '../format';
import { readSpec } from '../spec-file';
import { show, type VerbContext } from './context';

type Ctx = () => VerbContext;
type Schedule = paths['/schedules/{id}']['get']['responses'][200]['content']['application/json'];
type ScheduleSpec = paths['/schedules']['post']['requestBody']['content']['application/json'];

const idPath = (id: string) => ({ params: { path: { id } } });

/** A schedule as text: what it starts and when, then its next and recent fires. */
function scheduleText(v: Schedule): string {
  const when = v.cron ? `cron "${v.cron}" (${v.timezone})` : `every ${v.everyMs} ms`;
  const lines = [
    `${v.id} ("${v.name}"): starts ${v.starts}, ${when}, overlap ${v.overlap}${v.paused ? ', PAUSED' : ''}${v.late ? `, LATE by ${v.lateByMs} ms` : ''}`,
    `fired ${v.fires} times${v.note ? `; note: ${v.note}` : ''}`,
    `next: ${v.nextFires.join(', ') || '-'}`,
  ];
  if (v.recentFires.length) lines.push('', table(v.recentFires, [{ title: 'due', cell: (f) => f.scheduledAt }, { title: 'taken', cell: (f) => f.takenAt }, { title: 'workflow', cell: (f) => orDash(f.workflowId) }]));
  return lines.join('\n');
}

/** `aos schedules`, `schedule`, `schedule-create`, `schedule-pause`, `schedule-resume`, `schedule-trigger`, `schedule-delete`. */
export function scheduleVerbs(program: Command, ctx: Ctx): void {
  program
    .command('schedules')
    .description('list schedules, newest first, with their next fire')
    .option('--limit <n>', 'how many', (v) => Number.parseInt(v, 10), 20)
    .action(async (o: { limit: number }) => {
      const c = ctx();
      const r = await unwrap(c.api.GET('/schedules', { params: { query: { limit: o.limit, offset: 0 } } }), 'list schedules');
      show(c, r, (v) =>
        table(v.schedules, [
          { title: 'id', cell: (s) => s.id },
          { title: 'name', cell: (s) => s.name },
          { title: 'starts', cell: (s) => s.starts },
          { title: 'when', cell: (s) => s.cron ?? `every ${s.everyMs} ms` },
          { title: 'paused', cell: (s) => String(s.paused) },
          { title: 'next', cell: (s) => orDash(s.nextFires[0]) },
          { title: 'late', cell: (s) => (s.late ? 'yes' : '-') },
        ]),
      );
    });

  program
    .command('schedule <id>')
    .description('one schedule: next fires, recent fires, and whether it is late')
    .action(async (id: string) => {
      const c = ctx();
      show(c, await unwrap(c.api.GET('/schedules/{id}', idPath(id)), `read schedule ${id}`), scheduleText);
    });

  program
    .command('schedule-create <file>')
    .description('schedule an agent or a crew from a JSON spec (a file, or - for stdin) as POST /schedules takes it')
    .action(async (file: string) => {
      const c = ctx();
      const spec = readSpec(file);
      show(c, await unwrap(c.api.POST('/schedules', { body: spec as ScheduleSpec }), 'create the schedule'), (v) => v.id);
    });

  for (const [verb, action, what] of [['schedule-pause', 'pause', 'pause: no fires until resumed'], ['schedule-resume', 'unpause', 'resume a paused schedule'], ['schedule-trigger', 'trigger', 'fire once now (the overlap policy still applies)']] as const) {
    program
      .command(`${verb} <id>`)
      .description(what)
      .option('--note <text>', 'a note kept with the schedule')
      .action(async (id: string, o: { note?: string }) => {
        const c = ctx();
        const body = o.note ? { note: o.note } : {};
        const path = { ...idPath(id), body };
        const call = action === 'pause' ? c.api.POST('/schedules/{id}/pause', path) : action === 'unpause' ? c.api.POST('/schedules/{id}/unpause', path) : c.api.POST('/schedules/{id}/trigger', path);
        show(c, await unwrap(call, `${action} schedule ${id}`), scheduleText);
      });
  }

  program
    .command('schedule-delete <id>')
    .description('delete a schedule (runs it started go on)')
    .action(async (id: string) => {
      const c = ctx();
      await unwrap<unknown>(c.api.DELETE('/schedules/{id}', idPath(id)), `delete schedule ${id}`);
      show(c, { deleted: id }, () => `deleted: ${id}`);
    });
}
