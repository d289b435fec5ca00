import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { nodeMetricsText, PROMETHEUS_CONTENT_TYPE } from '../infra/telemetry/scrape';
import { clusterMetricsText } from './cluster-metrics';
import type { ApiDeps } from './deps';
import { validationHook } from './validation';

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics: the cluster (agents, queues, spend, GPU leases) and this process (steps, model calls, tokens, latencies, Temporal SDK core)',
  responses: { 200: { description: 'The Prometheus text exposition format', content: { 'text/plain': { schema: z.string() } } } },
});

/** The live config this process runs: its version, and whether the last read of the file was refused. */
function configMetricsText(deps: ApiDeps): string {
  const status = deps.config?.live.status();
  if (!status) return '';
  return [
    '# HELP aok_config_version The live config version this process applied (0: none stored).',
    '# TYPE aok_config_version gauge',
    `aok_config_version ${status.version ?? 0}`,
    '# HELP aok_config_file_refused 1 when the last read of the config file was refused (the last good config stays).',
    '# TYPE aok_config_file_refused gauge',
    `aok_config_file_refused ${status.lastError ? 1 : 0}`,
    '# HELP aok_config_restart_required Settings changed in the config file that only a restart applies.',
    '# TYPE aok_config_restart_required gauge',
    `aok_config_restart_required ${status.restartRequired.length}`,
    '',
  ].join('\n');
}

/** `GET /metrics`, for a Prometheus scraper holding a root key. */
export function prometheusRoutes(deps: ApiDeps) {
  return new OpenAPIHono({ defaultHook: validationHook }).openapi(metricsRoute, async (c) => {
    const [cluster, node] = await Promise.all([clusterMetricsText(deps), nodeMetricsText()]);
    return c.text(`${cluster}\n${node}\n${configMetricsText(deps)}`, 200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
  });
}
