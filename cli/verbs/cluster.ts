import type { Command } from 'commander';
import { unwrap } from '../client';
import { CliError, EXIT } from '../errors';
import { count, orDash, table, usd } from '../format';
import { show, type VerbContext } from './context';

type Ctx = () => VerbContext;

const GROUPS = ['agent', 'crew', 'root', 'model', 'day'] as const;

/** A node's reserved GPU memory over its total, e.g. `20000/49140` (`-` without GPUs). */
function gpuReserved(n: { gpus: { gpus: Array<{ memoryTotalMiB: number | null }> }; reservations: Array<{ memoryMiB: number }> }): string {
  if (!n.gpus.gpus.length) return '-';
  const total = n.gpus.gpus.reduce((sum, g) => sum + (g.memoryTotalMiB ?? 0), 0);
  return `${n.reservations.reduce((sum, r) => sum + r.memoryMiB, 0)}/${total}`;
}

/** `aos nodes`, `drain`, `undrain`, `usage`, `whoami`. */
export function clusterVerbs(program: Command, ctx: Ctx): void {
  program
    .command('nodes')
    .description('the nodes: status, heartbeat, GPUs and their leases')
    .action(async () => {
      const c = ctx();
      const r = await unwrap(c.api.GET('/nodes'), 'list nodes');
      show(c, r, (v) =>
        table(v.nodes, [
          { title: 'id', cell: (n) => n.id },
          { title: 'status', cell: (n) => n.status },
          { title: 'host', cell: (n) => n.hostname },
          { title: 'gpus', cell: (n) => `${n.gpus.gpus.length}${n.gpuStatus?.state === 'degraded' ? ' (degraded)' : ''}`, right: true },
          { title: 'GPU MiB reserved', cell: (n) => gpuReserved(n), right: true },
          { title: 'heartbeat', cell: (n) => n.heartbeatAt },
        ]),
      );
    });

  for (const verb of ['drain', 'undrain'] as const) {
    program
      .command(`${verb} <node>`)
      .description(verb === 'drain' ? 'drain a node: it takes no shared work and its agents move' : 'return a draining node to service')
      .action(async (id: string) => {
        const c = ctx();
        const path = { params: { path: { id } } };
        const r = await unwrap<unknown>(verb === 'drain' ? c.api.POST('/nodes/{id}/drain', path) : c.api.POST('/nodes/{id}/undrain', path), `${verb} node ${id}`);
        show(c, r, () => `${verb}: ${id}`);
      });
  }

  program
    .command('usage [tenant]')
    .description('tokens and USD billed to a tenant (default: yours), optionally rolled up')
    .option('--group-by <by>', `one of ${GROUPS.join(', ')}`)
    .option('--from <date>', 'billed at or after (ISO date or date-time)')
    .option('--to <date>', 'billed before')
    .action(async (tenantArg: string | undefined, o: { groupBy?: string; from?: string; to?: string }) => {
      const c = ctx();
      if (o.groupBy && !(GROUPS as readonly string[]).includes(o.groupBy)) throw new CliError(`--group-by must be one of ${GROUPS.join(', ')}`, EXIT.usage);
      const tenant = tenantArg ?? (await unwrap(c.api.GET('/whoami'), 'find your tenant')).tenant;
      const query = { ...(o.groupBy ? { groupBy: o.groupBy as (typeof GROUPS)[number] } : {}), ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}) };
      const u = await unwrap(c.api.GET('/tenants/{tenant}/usage', { params: { path: { tenant }, query } }), `read ${tenant}'s usage`);
      show(c, u, (v) => {
        const head = `${v.tenant}: ${count(v.steps)} steps, ${count(v.calls)} calls, ${count(v.promptTokens)} in (${count(v.cacheReadTokens)} cached), ${count(v.completionTokens)} out (${count(v.reasoningTokens)} reasoning), ${usd(v.costUsd)}`;
        if (!v.groups) return head;
        return `${head}\n\n${table(v.groups, [
          { title: v.groupBy ?? 'group', cell: (g) => orDash(g.key) },
          { title: 'steps', cell: (g) => count(g.steps), right: true },
          { title: 'in', cell: (g) => count(g.promptTokens), right: true },
          { title: 'out', cell: (g) => count(g.completionTokens), right: true },
          { title: 'cost', cell: (g) => usd(g.costUsd), right: true },
        ])}`;
      });
    });

  program
    .command('whoami')
    .description('who your key is: actor, tenant and scopes')
    .action(async () => {
      const c = ctx();
      const w = await unwrap(c.api.GET('/whoami'), 'ask who you are');
      show(c, w, (v) => `${v.actor} in ${v.tenant} (${v.scopes.join(', ')})`);
    });
}
