import type { Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BatchSpanProcessor, type ReadableSpan, type Span, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** Why a finished span never reached the collector. */
export type DropReason = 'queue_full' | 'export_failed';

/** What became of every finished span: exported, dropped (by reason), or still waiting. */
export interface SpanCounts {
  exported: number;
  dropped: Record<DropReason, number>;
  pending: number;
}

/** Counts export outcomes around any exporter. */
class CountingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly counts: SpanCounts,
    private readonly onDrop: (reason: DropReason, n: number) => void,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      this.counts.pending = Math.max(0, this.counts.pending - spans.length);
      if (result.code === ExportResultCode.SUCCESS) this.counts.exported += spans.length;
      else {
        this.counts.dropped.export_failed += spans.length;
        this.onDrop('export_failed', spans.length);
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** Batching options of the accounting processor. */
export interface AccountingOptions {
  /** Spans held for export at most; more are dropped and counted (default 8,192). */
  maxQueueSize?: number;
  /** Spans per export request (default 512). */
  maxExportBatchSize?: number;
  /** How long a span waits before its batch is sent (default 1 s). */
  scheduledDelayMillis?: number;
  /** Called once per drop with how many spans were lost, e.g. to log it. */
  onDrop?: (reason: DropReason, n: number) => void;
}

/**
 * A batch span processor that never loses a span silently: a span the queue cannot hold and a
 * batch the collector refused are both counted (`aok_otel_spans_dropped_total{reason}`), where the
 * SDK's own processor only writes a diagnostic line (opentelemetry-js#4184).
 */
export class AccountingSpanProcessor implements SpanProcessor {
  /** The running tally (read by the metrics endpoint). */
  readonly counts: SpanCounts = { exported: 0, dropped: { queue_full: 0, export_failed: 0 }, pending: 0 };
  private readonly batch: BatchSpanProcessor;
  private readonly maxQueueSize: number;
  private readonly onDrop: (reason: DropReason, n: number) => void;

  constructor(exporter: SpanExporter, options: AccountingOptions = {}) {
    this.maxQueueSize = options.maxQueueSize ?? 8_192;
    this.onDrop = options.onDrop ?? (() => undefined);
    this.batch = new BatchSpanProcessor(new CountingExporter(exporter, this.counts, this.onDrop), {
      // One more than ours, so the SDK's queue never drops a span before this processor counts it.
      maxQueueSize: this.maxQueueSize + 1,
      maxExportBatchSize: options.maxExportBatchSize ?? 512,
      scheduledDelayMillis: options.scheduledDelayMillis ?? 1_000,
    });
  }

  onStart(span: Span, parent: Context): void {
    this.batch.onStart(span, parent);
  }

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & 1) === 0) return;
    if (this.counts.pending >= this.maxQueueSize) {
      this.counts.dropped.queue_full += 1;
      this.onDrop('queue_full', 1);
      return;
    }
    this.counts.pending += 1;
    this.batch.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.batch.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.batch.shutdown();
  }
}
