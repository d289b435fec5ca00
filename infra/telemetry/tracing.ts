import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import type { Config } from '../../kernel/config';
import type { Logger } from '../logger';
import { AccountingSpanProcessor, type AccountingOptions, type SpanCounts } from './span-accounting';

/** This process's tracing: the Temporal plugin that carries trace context through every durable hop, and its tallies. */
export interface Tracing {
  /** Client interceptors (W3C context into workflow headers), worker interceptors and the workflow span sink. */
  plugin: OpenTelemetryPlugin;
  /** Exported and dropped spans so far. */
  counts: SpanCounts;
  /** Whether spans carry message and tool bodies. */
  content: boolean;
  /** Sends every finished span now (a refused export is counted as dropped, not thrown). */
  flush(): Promise<void>;
  /** Flushes, then turns tracing off for this process. */
  shutdown(): Promise<void>;
}

/** What tracing needs: the OTLP settings, or an exporter (tests). */
export type TracingSettings = Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' | 'OTEL_SERVICE_NAME' | 'AOK_TRACE_CONTENT'> & {
  exporter?: SpanExporter;
  batching?: AccountingOptions;
  /** Resource attributes beyond the service name (e.g. `service.instance.id`). */
  attributes?: Record<string, string>;
};

let active: Tracing | undefined;

/** The tracing this process runs, if any. */
export function currentTracing(): Tracing | undefined {
  return active;
}

/** Whether spans may carry message and tool bodies (AOK_TRACE_CONTENT). */
export function traceContent(): boolean {
  return active?.content ?? false;
}

/** The OTLP/HTTP traces URL from the settings, or undefined when tracing is off. */
export function tracesUrl(settings: Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'>): string | undefined {
  if (settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!settings.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return `${settings.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Starts tracing for this process when a collector is configured (or an exporter is given):
 * a tracer provider with an AsyncLocalStorage context manager and the W3C propagator, spans
 * batched to OTLP/HTTP (protobuf) through a processor that counts every dropped span. Returns
 * undefined when tracing is off: nothing is installed and nothing costs anything. Once per
 * process; a second call returns the first's tracing.
 */
export function startTracing(settings: TracingSettings, logger: Logger): Tracing | undefined {
  if (active) return active;
  const url = tracesUrl(settings);
  if (!url && !settings.exporter) return undefined;
  const exporter = settings.exporter ?? new OTLPTraceExporter({ url, timeoutMillis: 10_000 });
  let warned = 0;
  const processor = new AccountingSpanProcessor(exporter, {
    ...settings.batching,
    onDrop: (reason, n) => {
      // One line per ten seconds at most: a dead collector must not flood the log.
      if (Date.now() - warned < 10_000) return;
      warned = Date.now();
      logger.warn({ reason, spans: n, dropped: processor.counts.dropped }, 'spans dropped before reaching the collector');
    },
  });
  const resource = new Resource({ 'service.name': settings.OTEL_SERVICE_NAME, ...settings.attributes });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable(), propagator: new W3CTraceContextPropagator() });
  const plugin = new OpenTelemetryPlugin({ resource, spanProcessor: processor });
  const tracing: Tracing = {
    plugin,
    counts: processor.counts,
    content: settings.AOK_TRACE_CONTENT,
    flush: () => processor.forceFlush().catch(() => undefined),
    shutdown: async () => {
      if (active !== tracing) return;
      await provider.shutdown().catch((err: unknown) => logger.warn({ err }, 'could not flush spans at shutdown'));
      trace.disable();
      context.disable();
      propagation.disable();
      active = undefined;
    },
  };
  active = tracing;
  logger.info({ url: url ?? '(exporter)' }, 'tracing on');
  return tracing;
}
