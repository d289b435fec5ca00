import { setDefaultTimeout, describe, expect, test } from 'bun:test';
import { serveNodeMetrics } from '../infra/telemetry/scrape';
import { kernelMetrics } from '../infra/telemetry/metrics';
import { rootFetch } from './support/keys';
import { parsePrometheus, sumOf } from './support/prometheus';
import { useStack } from './support/suite';

// These suites start real servers; bun's 5 s default is too short for their hooks.
setDefaultTimeout(120_000);

const suite = useStack({ database: 'postgres' });

async function scrape() {
  const res = await rootFetch(`${suite.stack.apiUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toStartWith('text/plain; version=0.0.4');
  return parsePrometheus(await res.text());
}

describe('GET /metrics (Prometheus text format)', () => {
  test('only a root key may scrape: the figures span every tenant', async () => {
    expect((await fetch(`${suite.stack.apiUrl}/metrics`)).status).toBe(401);
    const created = await suite.agents.post('/keys', { name: 'viewer', tenant: 'default', scopes: ['viewer'], expiresInDays: 1 });
    const { key } = (await created.json()) as { key: string };
    expect((await fetch(`${suite.stack.apiUrl}/metrics`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(403);
  });

  test('parses, and moves when agents run: steps, model calls and tokens, agents by state, spend, queues, Temporal SDK core', async () => {
    const before = await scrape();
    const a = await suite.agents.spawn({ name: 'measured', model: 'scripted:2', tools: ['calculator'], input: 'CALL calculator {"expression":"2+2"}' });
    await suite.agents.settle(a.id);
    const { samples, types } = await scrape();

    expect(types.get('aok_agents')).toBe('gauge');
    expect(types.get('aok_agent_step_duration')).toBe('histogram');
    expect(types.get('gen_ai_client_token_usage')).toBe('histogram');
    expect(sumOf(samples, 'aok_agents', { state: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(sumOf(samples, 'aok_agent_steps_total', { outcome: 'completed' }) - sumOf(before.samples, 'aok_agent_steps_total', { outcome: 'completed' })).toBeGreaterThanOrEqual(2);
    expect(sumOf(samples, 'aok_agent_step_duration_count') - sumOf(before.samples, 'aok_agent_step_duration_count')).toBeGreaterThanOrEqual(2);
    const input = { 'gen_ai_provider_name': 'scripted', 'gen_ai_token_type': 'input' };
    expect(sumOf(samples, 'gen_ai_client_token_usage_sum', input)).toBeGreaterThan(sumOf(before.samples, 'gen_ai_client_token_usage_sum', input));
    expect(sumOf(samples, 'gen_ai_client_operation_duration_count', { 'gen_ai_request_model': 'scripted' })).toBeGreaterThanOrEqual(2);
    expect(sumOf(samples, 'aok_tool_duration_count', { 'gen_ai_tool_name': 'calculator', status: 'succeeded' })).toBeGreaterThanOrEqual(1);
    expect(sumOf(samples, 'aok_context_assembly_duration_count')).toBeGreaterThanOrEqual(2);
    expect(sumOf(samples, 'aok_checkpoint_duration_count')).toBeGreaterThanOrEqual(2);
    expect(sumOf(samples, 'aok_task_queue_wait_count', { task_queue: 'llm.scripted' })).toBeGreaterThanOrEqual(2);
    // A local activity (the outcome stored inside the run's last workflow task) never waits in a queue:
    // it is an activity in the activity histograms, not a queue wait.
    expect(sumOf(samples, 'aok_activity_duration_count', { activity: 'finishAgent' })).toBeGreaterThanOrEqual(1);
    expect(samples.filter((s) => s.name === 'aok_task_queue_wait_count' && s.labels.activity === 'finishAgent')).toEqual([]);
    // Spend per tenant from the ledger, equal to what the API reports.
    const usage = (await (await rootFetch(`${suite.stack.apiUrl}/tenants/default/usage`)).json()) as { costUsd: number };
    expect(sumOf(samples, 'aok_tenant_cost_usd_total', { tenant: 'default' })).toBeCloseTo(usage.costUsd, 9);
    // Temporal's view of the queues, per priority key, and the SDK core's own worker metrics.
    expect(samples.some((s) => s.name === 'aok_task_queue_backlog' && s.labels.task_queue === suite.stack.config.TASK_QUEUE)).toBe(true);
    expect(sumOf(samples, 'aok_scrape_errors')).toBe(0);
    expect(samples.some((s) => s.name.startsWith('temporal_'))).toBe(true);
    expect(sumOf(samples, 'aok_nodes', { status: 'alive' })).toBeGreaterThanOrEqual(1);
  }, 60_000);

  test('a worker-only node serves its own metrics on METRICS_PORT', async () => {
    kernelMetrics.step(0.01, 'completed', 'scripted');
    const server = serveNodeMetrics('127.0.0.1', 0);
    try {
      const res = await fetch(server.url);
      expect(res.status).toBe(200);
      const { samples } = parsePrometheus(await res.text());
      expect(sumOf(samples, 'aok_agent_steps_total')).toBeGreaterThanOrEqual(1);
      expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      await server.stop();
    }
  });
});
