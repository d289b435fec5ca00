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

/** `GET /metrics`, for a Prometheus scraper holding a root key. */
export function prometheusRoutes(deps: ApiDeps) {
  return new OpenAPIHono({ defaultHook: validationHook }).openapi(metricsRoute, async (c) => {
    const [cluster, node] = await Promise.all([clusterMetricsText(deps), nodeMetricsText()]);
    return c.text(`${cluster}\n${node}`, 200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
  });
}
