import type { Command } from 'commander';
import { unwrap } from '../client';
import { CliError, EXIT } from '../errors';
import { count, orDash, table, usd } from '../format';
import { show, type VerbContext } from './context';

type Ctx = () => VerbContext;

const GROUPS = ['agent', 'crew', 'root', 'model', 'day'] as const;

/** `aos nodes`, `drain`, `undrain`, `usage`, `crews`, `crew`, `crew-cancel`, `schedules`, `whoami`. */
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
          { title: 'gpus', cell: (n) => String(n.gpus.length), right: true },
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
    .command('crews')
    .description('list crews')
    .action(async () => {
      const c = ctx();
      const r = await unwrap(c.api.GET('/crews', { params: { query: {} } }), 'list crews');
      show(c, r, (v) =>
        table(v.crews, [
          { title: 'id', cell: (k) => k.id },
          { title: 'name', cell: (k) => k.name },
          { title: 'state', cell: (k) => k.status },
        ]),
      );
    });

  program
    .command('crew <id>')
    .description('one crew: its state and each node (kind, dependencies, state, agent, time)')
    .action(async (id: string) => {
      const c = ctx();
      const crew = await unwrap(c.api.GET('/crews/{id}', { params: { path: { id } } }), `read crew ${id}`);
      show(c, crew, (v) =>
        `${v.id}: ${v.status}\n\n${table(v.nodes, [
          { title: 'node', cell: (n) => n.id },
          { title: 'kind', cell: (n) => n.kind },
          { title: 'depends on', cell: (n) => n.dependsOn.join(',') || '-' },
          { title: 'state', cell: (n) => n.status },
          { title: 'agent', cell: (n) => orDash(n.agentId) },
          { title: 'ms', cell: (n) => orDash(n.durationMs), right: true },
        ])}`,
      );
    });

  program
    .command('crew-cancel <id>')
    .description('cancel a crew: its running nodes are killed, pending ones skipped')
    .action(async (id: string) => {
      const c = ctx();
      const r = await unwrap<unknown>(c.api.POST('/crews/{id}/cancel', { params: { path: { id } } }), `cancel crew ${id}`);
      show(c, r, () => `cancelled: ${id}`);
    });

  program
    .command('schedules')
    .description('list schedules')
    .action(async () => {
      const c = ctx();
      const r = await unwrap(c.api.GET('/schedules'), 'list schedules');
      show(c, r, (v) => table(v.schedules, [{ title: 'id', cell: (s) => s.id }, { title: 'name', cell: (s) => s.name }, { title: 'paused', cell: (s) => String(s.paused) }]));
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
