import type { Attributes } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { Resource } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { priceOf } from '../../kernel/cost/price-table';
import { modelName } from '../../kernel/llm/model-spec';
import { currentTracing } from './tracing';
import { METRIC, SECONDS_BUCKETS, TOKEN_BUCKETS } from './names';

/** A reader that collects only when asked: the `/metrics` scrape. */
class ScrapeReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Tokens of one model call, by kind (cache and reasoning tokens are parts of input and output). */
export interface TokenCounts {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
}

const reader = new ScrapeReader();
const provider = new MeterProvider({ resource: new Resource({ 'service.name': process.env.OTEL_SERVICE_NAME ?? 'agent-os-kernel' }), readers: [reader] });
const meter = provider.getMeter('agent-os-kernel');
const seconds = (name: string, description: string) => meter.createHistogram(name, { unit: 's', description, advice: { explicitBucketBoundaries: SECONDS_BUCKETS } });

const tokenUsage = meter.createHistogram(METRIC.tokenUsage, { unit: '{token}', description: 'Tokens per model call, by gen_ai.token.type (input, output, cache_read, cache_write, reasoning)', advice: { explicitBucketBoundaries: TOKEN_BUCKETS } });
const operationDuration = seconds(METRIC.operationDuration, 'Model call latency (the whole call, streamed or not)');
const cost = meter.createCounter(METRIC.costUsd, { unit: 'USD', description: 'USD billed for model calls' });
const steps = meter.createCounter(METRIC.steps, { description: 'Agent steps this process ran, by outcome' });
const stepDuration = seconds(METRIC.stepDuration, 'One agent step: claim, context assembly, model call and commit');
const assemblyDuration = seconds(METRIC.assemblyDuration, 'Assembling a step’s context window (paging in, ranking, summaries)');
const checkpointDuration = seconds(METRIC.checkpointDuration, 'The step claim with its checkpoint of the boundary before it');
const toolDuration = seconds(METRIC.toolDuration, 'One tool call, by tool and status');
const queueWaitDuration = seconds(METRIC.queueWait, 'How long an activity task waited in its task queue before a worker started it, by queue and priority');
const activityDuration = seconds(METRIC.activityDuration, 'Activity executions on this node, by type and outcome');
const httpDuration = seconds(METRIC.httpDuration, 'API requests, by route pattern, method and status');
meter
  .createObservableCounter(METRIC.spansDropped, { description: 'Finished spans that never reached the collector, by reason' })
  .addCallback((result) => {
    const counts = currentTracing()?.counts;
    if (!counts) return;
    for (const [reason, n] of Object.entries(counts.dropped)) result.observe(n, { reason });
  });
meter
  .createObservableCounter(METRIC.spansExported, { description: 'Spans the collector accepted' })
  .addCallback((result) => {
    const counts = currentTracing()?.counts;
    if (counts) result.observe(counts.exported);
  });

/**
 * A model as a metric label: its name when the price table knows it, else `other` — a spec is
 * chosen by whoever spawns the agent, and a label must not take unbounded values.
 */
export function modelLabel(spec: string): string {
  return priceOf(spec).known ? modelName(spec) : 'other';
}

/** The kernel's process-local instruments; cheap enough to be always on. */
export const kernelMetrics = {
  /** One model call (`model` is its spec): its latency, tokens by kind, and what it cost. */
  modelCall(attrs: { provider: string; model: string; error?: string }, secs: number, tokens?: TokenCounts, costUsd?: number): void {
    const base: Attributes = { 'gen_ai.provider.name': attrs.provider, 'gen_ai.request.model': modelLabel(attrs.model), 'gen_ai.operation.name': 'chat' };
    operationDuration.record(secs, attrs.error ? { ...base, 'error.type': attrs.error } : base);
    if (!tokens) return;
    const kinds: Array<[string, number | undefined]> = [['input', tokens.input], ['output', tokens.output], ['cache_read', tokens.cacheRead], ['cache_write', tokens.cacheWrite], ['reasoning', tokens.reasoning]];
    for (const [type, n] of kinds) if (n !== undefined && (n > 0 || type === 'input' || type === 'output')) tokenUsage.record(n, { ...base, 'gen_ai.token.type': type });
    if (costUsd) cost.add(costUsd, base);
  },
  /** One agent step of a model spec and how it ended (`completed`, or the failure's type). */
  step(secs: number, outcome: string, model: string): void {
    steps.add(1, { outcome, model: modelLabel(model) });
    stepDuration.record(secs, { outcome });
  },
  /** One context assembly. */
  assembly(secs: number): void {
    assemblyDuration.record(secs);
  },
  /** One step claim and checkpoint. */
  checkpoint(secs: number): void {
    checkpointDuration.record(secs);
  },
  /** One tool call. */
  tool(name: string, status: string, secs: number): void {
    toolDuration.record(secs, { 'gen_ai.tool.name': name, status });
  },
  /** One activity task's wait in its queue (schedule to start of this attempt). */
  queueWait(queue: string, priority: number, activity: string, secs: number): void {
    queueWaitDuration.record(secs, { task_queue: queue, priority, activity });
  },
  /** One activity execution. */
  activity(type: string, outcome: string, secs: number): void {
    activityDuration.record(secs, { activity: type, outcome });
  },
  /** One API request (the route pattern, never the path: ids can be user content). */
  http(route: string, method: string, status: number, secs: number): void {
    httpDuration.record(secs, { 'http.route': route, 'http.request.method': method, 'http.response.status_code': status });
  },
};

const serializer = new PrometheusSerializer();

/** This process's instruments in the Prometheus text format. */
export async function processMetricsText(): Promise<string> {
  const { resourceMetrics } = await reader.collect();
  return serializer.serialize(resourceMetrics);
}
