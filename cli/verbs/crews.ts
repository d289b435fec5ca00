import type { Command } from 'commander';
import type { paths } from '../api-types';
import { unwrap } from '../client';
import { CliError, EXIT } from '../errors';
import { readEvents } from '../events';
import { count, orDash, table, usd } from '../format';
import { readSpec } from '../spec-file';
import { show, type VerbContext } from './context';

type Ctx = () => VerbContext;
type Crew = paths['/crews/{id}']['get']['responses'][200]['content']['application/json'];
type CrewSpec = paths['/crews']['post']['requestBody']['content']['application/json'];
type BatchSpec = paths['/batches']['post']['requestBody']['content']['application/json'];

const FINISHED = ['completed', 'failed', 'cancelled'];
const crewPath = (id: string) => ({ params: { path: { id } } });
const nodePath = (id: string, node: string) => ({ params: { path: { id, node } } });

/** A crew or batch as text: its state and spend, then one row per node. */
function crewText(v: Crew): string {
  const head = `${v.id} (${v.kind} "${v.name}"): ${v.status}, ${count(v.usage.totalTokens)} tokens, ${usd(v.usage.costUsd)}${v.error ? `\nerror: ${v.error}` : ''}`;
  return `${head}\n\n${table(v.nodes, [
    { title: 'node', cell: (n) => n.id },
    { title: 'kind', cell: (n) => n.kind },
    { title: 'depends on', cell: (n) => n.dependsOn.join(',') || '-' },
    { title: 'state', cell: (n) => n.status },
    { title: 'items', cell: (n) => (n.items ? `${n.items.completed}/${n.items.total}${n.items.failed ? ` (${n.items.failed} failed)` : ''}` : '-') },
    { title: 'agent', cell: (n) => orDash(n.agentId) },
    { title: 'ms', cell: (n) => orDash(n.durationMs), right: true },
  ])}`;
}

/** Polls a crew or batch until it finishes, with a progress line; exit code 8 unless it completed. */
async function waitForCrew(c: VerbContext, id: string): Promise<Crew> {
  for (;;) {
    const v = await unwrap(c.api.GET('/crews/{id}', crewPath(id)), `read ${id}`);
    const done = v.nodes.filter((n) => ['completed', 'skipped'].includes(n.status)).length;
    const items = v.nodes.find((n) => n.items)?.items;
    c.progress(`${id}: ${v.status}, ${items ? `${items.completed}/${items.total} items` : `${done}/${v.nodes.length} nodes`}, ${usd(v.usage.costUsd)}`);
    if (FINISHED.includes(v.status)) {
      if (v.status !== 'completed') throw new CliError(`${v.kind} ${id} ended ${v.status}${v.error ? `: ${v.error}` : ''}`, EXIT.agentFailed);
      return v;
    }
    await Bun.sleep(500);
  }
}

/** `aos crews`, `crew`, `crew-run`, `crew-logs`, `crew-gate`, `crew-approve`, `crew-retry`, `crew-fork`, `crew-cancel`, and the batch verbs. */
export function crewVerbs(program: Command, ctx: Ctx): void {
  program
    .command('crews')
    .description('list crews, newest first')
    .option('--limit <n>', 'how many', (v) => Number.parseInt(v, 10), 20)
    .action(async (o: { limit: number }) => {
      const c = ctx();
      const r = await unwrap(c.api.GET('/crews', { params: { query: { limit: o.limit, offset: 0 } } }), 'list crews');
      show(c, r, (v) =>
        table(v.crews, [
          { title: 'id', cell: (k) => k.id },
          { title: 'name', cell: (k) => k.name },
          { title: 'state', cell: (k) => k.status },
          { title: 'nodes', cell: (k) => String(k.nodes.length), right: true },
          { title: 'cost', cell: (k) => usd(k.usage.costUsd), right: true },
        ]),
      );
    });

  program
    .command('crew <id>')
    .description('one crew: its state and each node (kind, dependencies, state, agent, time)')
    .action(async (id: string) => {
      const c = ctx();
      show(c, await unwrap(c.api.GET('/crews/{id}', crewPath(id)), `read crew ${id}`), crewText);
    });

  program
    .command('crew-run <file>')
    .description('create and start a crew from a JSON spec (a file, or - for stdin), as POST /crews takes it')
    .option('--wait', 'wait until it finishes (exit 8 unless it completes)')
    .action(async (file: string, o: { wait?: boolean }) => {
      const c = ctx();
      const spec = readSpec(file);
      const crew = await unwrap(c.api.POST('/crews', { body: spec as CrewSpec }), 'create the crew');
      show(c, o.wait ? await waitForCrew(c, crew.id) : crew, (v) => (o.wait ? crewText(v) : v.id));
    });

  program
    .command('crew-logs <id>')
    .description('the crew’s events: nodes started, waiting, completed, failed, skipped (-f follows until it finishes)')
    .option('-f, --follow', 'follow until the crew finishes')
    .action(async (id: string, o: { follow?: boolean }) => {
      const c = ctx();
      for await (const e of readEvents(c.settings, `/crews/${encodeURIComponent(id)}/events`, o.follow ? {} : { idleMs: 400 })) {
        if (c.json) {
          c.out(JSON.stringify(e));
          continue;
        }
        const d = e.data;
        const detail = [d.node ? `node ${String(d.node)}` : '', d.agentId ? `agent ${String(d.agentId)}` : '', d.status ? String(d.status) : '', d.error ? `error: ${String(d.error)}` : ''].filter(Boolean).join(', ');
        c.out(`${e.event}${detail ? ` ${detail}` : ''}`);
        if (o.follow && e.event === 'crew.finished') return;
      }
    });

  program
    .command('crew-gate <id> <node>')
    .description('open (--approve) or close (--reject) a gate node that waits')
    .option('--approve', 'open the gate')
    .option('--reject', 'close the gate')
    .option('--reason <text>', 'why (kept in the audit log)')
    .action(async (id: string, node: string, o: { approve?: boolean; reject?: boolean; reason?: string }) => {
      const c = ctx();
      if (Boolean(o.approve) === Boolean(o.reject)) throw new CliError('say --approve or --reject', EXIT.usage);
      const r = await unwrap(c.api.POST('/crews/{id}/gates/{node}', { ...nodePath(id, node), body: { approved: o.approve === true, ...(o.reason ? { reason: o.reason } : {}) } }), `decide gate ${node} of crew ${id}`);
      show(c, r, (v) => `gate ${v.node}: ${v.approved ? 'opened' : 'closed'}`);
    });

  program
    .command('crew-approve <id> <node> <call>')
    .description('approve (or with --reject, reject) the pending tool call of the agent running a node')
    .option('--reject', 'reject instead')
    .option('--reason <text>', 'why (the model sees a rejection’s reason)')
    .action(async (id: string, node: string, call: string, o: { reject?: boolean; reason?: string }) => {
      const c = ctx();
      const r = await unwrap(c.api.POST('/crews/{id}/nodes/{node}/approvals', { ...nodePath(id, node), body: { callId: call, approved: o.reject !== true, ...(o.reason ? { reason: o.reason } : {}) } }), `decide call ${call} in node ${node}`);
      show(c, r, (v) => `${v.approved ? 'approved' : 'rejected'}: ${v.callId} (agent ${v.agentId})`);
    });

  program
    .command('crew-retry <id> <node>')
    .description('retry a node of a finished crew: a new run re-runs it and what depends on it')
    .action(async (id: string, node: string) => {
      const c = ctx();
      const r = await unwrap(c.api.POST('/crews/{id}/nodes/{node}/retry', nodePath(id, node)), `retry node ${node} of crew ${id}`);
      show(c, r, (v) => `run ${v.run}: re-running ${v.rerun.join(', ')}`);
    });

  program
    .command('crew-fork <id>')
    .description('fork a finished crew from a node: a new crew reusing every result before it')
    .requiredOption('--from <node>', 'the node to run again from')
    .option('--name <name>', 'the fork’s name')
    .action(async (id: string, o: { from: string; name?: string }) => {
      const c = ctx();
      const r = await unwrap(c.api.POST('/crews/{id}/fork', { ...crewPath(id), body: { from: o.from, ...(o.name ? { name: o.name } : {}) } }), `fork crew ${id}`);
      show(c, r, (v) => v.id);
    });

  program
    .command('crew-cancel <id>')
    .description('cancel a crew: its running nodes are killed, pending ones skipped')
    .action(async (id: string) => {
      const c = ctx();
      const r = await unwrap<unknown>(c.api.POST('/crews/{id}/cancel', crewPath(id)), `cancel crew ${id}`);
      show(c, r, () => `cancelled: ${id}`);
    });

  program
    .command('batches')
    .description('list batches, newest first')
    .option('--limit <n>', 'how many', (v) => Number.parseInt(v, 10), 20)
    .action(async (o: { limit: number }) => {
      const c = ctx();
      const r = await unwrap(c.api.GET('/batches', { params: { query: { limit: o.limit, offset: 0 } } }), 'list batches');
      show(c, r, (v) =>
        table(v.batches, [
          { title: 'id', cell: (b) => b.id },
          { title: 'name', cell: (b) => b.name },
          { title: 'state', cell: (b) => b.status },
          { title: 'items', cell: (b) => { const i = b.nodes.find((n) => n.items)?.items; return i ? `${i.completed}/${i.total}` : '-'; }, right: true },
          { title: 'cost', cell: (b) => usd(b.usage.costUsd), right: true },
        ]),
      );
    });

  program
    .command('batch <id>')
    .description('one batch: items done, failed and running, and what they cost')
    .action(async (id: string) => {
      const c = ctx();
      show(c, await unwrap(c.api.GET('/batches/{id}', crewPath(id)), `read batch ${id}`), crewText);
    });

  program
    .command('batch-submit <file>')
    .description('run one agent template over a list of inputs, from a JSON spec (a file, or - for stdin) as POST /batches takes it')
    .option('--wait', 'wait until it finishes (exit 8 unless it completes)')
    .action(async (file: string, o: { wait?: boolean }) => {
      const c = ctx();
      const spec = readSpec(file);
      const batch = await unwrap(c.api.POST('/batches', { body: spec as BatchSpec }), 'submit the batch');
      show(c, o.wait ? await waitForCrew(c, batch.id) : batch, (v) => (o.wait ? crewText(v) : v.id));
    });

  program
    .command('batch-cancel <id>')
    .description('cancel a batch: running items are cancelled, the rest never start')
    .action(async (id: string) => {
      const c = ctx();
      const r = await unwrap<unknown>(c.api.POST('/batches/{id}/cancel', crewPath(id)), `cancel batch ${id}`);
      show(c, r, () => `cancelled: ${id}`);
    });
}
