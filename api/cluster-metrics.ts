import { sql } from 'drizzle-orm';
import { rowsOf } from '../db/raw-rows';
import { family, type Sample } from '../infra/telemetry/prometheus-text';
import { PROVIDERS } from '../kernel/llm/task-queue';
import type { ApiDeps } from './deps';

/** A Temporal call's deadline while scraping: a slow frontend leaves its families out, never stalls the scrape. */
const TEMPORAL_DEADLINE_MS = 2_000;

/** Agents by state and hold reason, tenant spend, GPU leases per node: the cluster as the database holds it. */
async function databaseFamilies(deps: ApiDeps): Promise<string[]> {
  const [agents, spend, leases, nodes] = await Promise.all([
    deps.db.execute(sql`select status, coalesce(hold, '') as hold, count(*)::int as n from agents group by 1, 2`),
    deps.db.execute(sql`select tenant, coalesce(sum(cost_usd), 0)::float8 as total,
      coalesce(sum(cost_usd) filter (where created_at >= date_trunc('day', now() at time zone 'utc') at time zone 'utc'), 0)::float8 as today,
      coalesce(sum(prompt_tokens), 0)::float8 as prompt, coalesce(sum(completion_tokens), 0)::float8 as completion
      from usage_ledger where state = 'billed' group by tenant`),
    deps.db.execute(sql`select coalesce(data->>'nodeId', '') as node, count(*)::int as n from leases where resource like 'gpu:%' and expires_at > now() group by 1`),
    deps.db.execute(sql`select case when status in ('alive', 'draining') and lease_expires_at < now() then 'dead' else status end as status, count(*)::int as n from nodes group by 1`),
  ]);
  const agentRows = rowsOf<{ status: string; hold: string; n: number }>(agents);
  const spendRows = rowsOf<{ tenant: string; total: number; today: number; prompt: number; completion: number }>(spend);
  return [
    family('aok_agents', 'gauge', 'Agents by state and hold reason (hold is empty when the agent is not held)', agentRows.map((r) => ({ labels: { state: r.status, hold: r.hold }, value: Number(r.n) }))),
    family('aok_tenant_cost_usd_total', 'counter', 'USD billed per tenant, from the ledger (reservations of calls in flight are not counted)', spendRows.map((r) => ({ labels: { tenant: r.tenant }, value: Number(r.total) }))),
    family('aok_tenant_cost_usd_today', 'gauge', 'USD billed per tenant since 00:00 UTC (the daily cap counts this)', spendRows.map((r) => ({ labels: { tenant: r.tenant }, value: Number(r.today) }))),
    family('aok_tenant_tokens_total', 'counter', 'Tokens billed per tenant, by kind', spendRows.flatMap((r) => [{ labels: { tenant: r.tenant, type: 'input' }, value: Number(r.prompt) }, { labels: { tenant: r.tenant, type: 'output' }, value: Number(r.completion) }])),
    family('aok_gpu_leases', 'gauge', 'Live GPU leases per node', rowsOf<{ node: string; n: number }>(leases).map((r) => ({ labels: { node: r.node }, value: Number(r.n) }))),
    family('aok_nodes', 'gauge', 'Nodes by status', rowsOf<{ status: string; n: number }>(nodes).map((r) => ({ labels: { status: r.status }, value: Number(r.n) }))),
  ];
}

/** Backlog count and age per task queue and priority, from Temporal's own statistics. */
async function queueFamilies(deps: ApiDeps): Promise<string[]> {
  const queues = [deps.taskQueue, ...PROVIDERS.map((p) => `${deps.taskQueue}.llm.${p}`)];
  const count: Sample[] = [];
  const age: Sample[] = [];
  await Promise.all(
    queues.flatMap((queue) =>
      ([1, 2] as const).map(async (type) => {
        const kind = type === 1 ? 'workflow' : 'activity';
        const res = await deps.client.connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () =>
          deps.client.workflowService.describeTaskQueue({ namespace: deps.client.options.namespace, taskQueue: { name: queue }, taskQueueType: type, reportStats: true }),
        );
        const byPriority = Object.entries(res.statsByPriorityKey ?? {});
        const entries = byPriority.length > 0 ? byPriority : res.stats ? [['0', res.stats] as const] : [];
        for (const [priority, stats] of entries) {
          const labels = { task_queue: queue, type: kind, priority };
          count.push({ labels, value: Number(stats.approximateBacklogCount ?? 0) });
          const d = stats.approximateBacklogAge;
          age.push({ labels, value: d ? Number(d.seconds ?? 0) + (d.nanos ?? 0) / 1e9 : 0 });
        }
      }),
    ),
  );
  return [
    family('aok_task_queue_backlog', 'gauge', 'Tasks waiting in a Temporal task queue, by type and priority key', count),
    family('aok_task_queue_backlog_age_seconds', 'gauge', 'Age of the oldest waiting task, by queue, type and priority key', age),
  ];
}

/**
 * The cluster-wide families of `GET /metrics`: database and Temporal reads made at scrape time.
 * A source that fails is left out and counted in `aok_scrape_errors`, so a scrape never fails whole.
 */
export async function clusterMetricsText(deps: ApiDeps): Promise<string> {
  const errors: Sample[] = [];
  const part = async (source: string, f: () => Promise<string[]>) => {
    try {
      return (await f()).join('');
    } catch (err) {
      deps.logger.warn({ err, source }, 'a metrics source failed');
      errors.push({ labels: { source }, value: 1 });
      return '';
    }
  };
  const [db, queues] = await Promise.all([part('database', () => databaseFamilies(deps)), part('temporal', () => queueFamilies(deps))]);
  return db + queues + family('aok_scrape_errors', 'gauge', 'Sources this scrape could not read', errors);
}
