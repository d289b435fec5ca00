import { describe, expect, test } from 'bun:test';
import { ExportResultCode } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { AccountingSpanProcessor } from './span-accounting';

/** An exporter that refuses every batch, as a collector that is down does. */
class RefusingExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (r: { code: ExportResultCode }) => void): void {
    done({ code: ExportResultCode.FAILED });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function spans(processor: AccountingSpanProcessor, n: number) {
  const tracer = new BasicTracerProvider({ spanProcessors: [processor] }).getTracer('t');
  for (let i = 0; i < n; i++) tracer.startSpan(`s${i}`).end();
}

describe('spans are never dropped silently', () => {
  test('every exported span is counted', async () => {
    const exporter = new InMemorySpanExporter();
    const processor = new AccountingSpanProcessor(exporter, { scheduledDelayMillis: 10 });
    spans(processor, 5);
    await processor.forceFlush();
    expect(exporter.getFinishedSpans()).toHaveLength(5);
    expect(processor.counts).toEqual({ exported: 5, dropped: { queue_full: 0, export_failed: 0 }, pending: 0 });
  });

  test('a refused batch and a full queue are counted by reason', async () => {
    const processor = new AccountingSpanProcessor(new RefusingExporter(), { maxQueueSize: 3, scheduledDelayMillis: 10_000 });
    const drops: string[] = [];
    const watched = new AccountingSpanProcessor(new RefusingExporter(), { maxQueueSize: 3, scheduledDelayMillis: 10_000, onDrop: (reason) => drops.push(reason) });
    spans(processor, 5);
    spans(watched, 5);
    expect(processor.counts.dropped.queue_full).toBe(2);
    // A refused export rejects the flush; the spans it held are counted, not lost without a trace.
    await processor.forceFlush().catch(() => undefined);
    expect(processor.counts).toEqual({ exported: 0, dropped: { queue_full: 2, export_failed: 3 }, pending: 0 });
    await watched.forceFlush().catch(() => undefined);
    expect(drops.sort()).toEqual(['export_failed', 'queue_full', 'queue_full']);
  });
});
