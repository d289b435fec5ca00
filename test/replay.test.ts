import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Resource } from '@opentelemetry/resources';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import { testBundle } from './support/stack';

// This suite starts real servers; bun's 5 s default is too short for its hooks.
setDefaultTimeout(120_000);

const dir = new URL('./histories', import.meta.url).pathname;
const histories = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown }));

async function replayAll(workflowBundle: { code: string }, plugins: OpenTelemetryPlugin[] = []) {
  const results = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle, plugins }, histories)) results.push(r);
  return results;
}

describe('recorded histories replay against today’s workflow code', () => {
  test('there are recorded histories to replay', () => {
    expect(histories.length).toBeGreaterThanOrEqual(3);
  });

  test('every recorded history replays without non-determinism', async () => {
    const results = await replayAll(await testBundle());
    expect(results).toHaveLength(histories.length);
    for (const r of results) expect({ id: r.workflowId, error: r.error }).toEqual({ id: r.workflowId, error: undefined });
  });

  test('histories recorded with tracing on are among them', () => {
    const traced = histories.filter((h) => h.workflowId.startsWith('traced-'));
    expect(traced.length).toBeGreaterThanOrEqual(3);
    // They carry the trace context in their headers (recorded by bin/record-history.ts --traced).
    for (const h of traced) expect(JSON.stringify(h.history)).toContain('_tracer-data');
  });

  test('every history, traced or not, replays with the tracing interceptors on, and replay exports no workflow span again', async () => {
    const exporter = new InMemorySpanExporter();
    const plugin = new OpenTelemetryPlugin({ resource: new Resource({ 'service.name': 'replay' }), spanProcessor: new SimpleSpanProcessor(exporter) });
    const results = await replayAll(await testBundle({ traced: true }), [plugin]);
    expect(results).toHaveLength(histories.length);
    for (const r of results) expect({ id: r.workflowId, error: r.error }).toEqual({ id: r.workflowId, error: undefined });
    // The workflow span sink does not run during replay: a worker that evicts and replays an agent
    // does not send its RunWorkflow/StartActivity spans a second time.
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  test('(the control) the same replay does make workflow spans: a sink told to run during replay receives them', async () => {
    let exported = 0;
    const sinks = { exporter: { export: { fn: (_info: unknown, spans: unknown[]) => void (exported += spans.length), callDuringReplay: true } } };
    const traced = histories.filter((h) => h.workflowId.startsWith('traced-'));
    for await (const r of Worker.runReplayHistories({ workflowBundle: await testBundle({ traced: true }), sinks }, traced)) expect(r.error).toBeUndefined();
    expect(exported).toBeGreaterThan(traced.length);
  });

  test('the interceptor package’s own workflow module would break replay of every update (why the kernel wraps it)', async () => {
    const stock = await bundleWorkflowCode({
      workflowsPath: new URL('../workflows/index.ts', import.meta.url).pathname,
      workflowInterceptorModules: [Bun.resolveSync('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors', import.meta.dir)],
      logger: new DefaultLogger('WARN'),
    });
    const withUpdates = histories.filter((h) => ['agent-tools-approval', 'agent-budget-raise', 'crew-gate-wait-fallback'].includes(h.workflowId));
    expect(withUpdates).toHaveLength(3);
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: stock }, withUpdates)) results.push(r);
    for (const r of results) expect(r.error).toBeInstanceOf(DeterminismViolationError);
  });

  test('a drifted workflow is caught as non-deterministic', async () => {
    const drifted = await bundleWorkflowCode({
      workflowsPath: new URL('./support/drifted-workflows.ts', import.meta.url).pathname,
      logger: new DefaultLogger('WARN'),
    });
    const results = await replayAll(drifted);
    expect(results.length).toBe(histories.length);
    for (const r of results) expect(r.error).toBeInstanceOf(DeterminismViolationError);
  });
});
