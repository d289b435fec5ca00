/**
 * The OpenTelemetry workflow interceptors the kernel bundles when tracing is on (a module of the
 * workflow bundle; it runs in the sandbox like any workflow code).
 *
 * Spans cover the run, every activity and child it starts, continue-as-new and inbound signals.
 * Updates and queries pass straight through, untraced in the workflow: the package's `handleUpdate`
 * is an async function even when it only forwards, and those extra microtask turns move an update's
 * completion after a search-attribute upsert, so a history recorded without the interceptor (every
 * approval, budget raise and crew gate) fails replay with it on — and so would any running agent
 * when tracing is switched on (sdk-typescript#2142). The client still traces the update it sends.
 */
import { OpenTelemetryInboundInterceptor, OpenTelemetryInternalsInterceptor, OpenTelemetryOutboundInterceptor } from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { Next, QueryInput, UpdateInput, WorkflowInboundCallsInterceptor, WorkflowInterceptorsFactory } from '@temporalio/workflow';

/** The package's inbound interceptor, with updates and queries forwarded synchronously. */
class KernelInboundInterceptor extends OpenTelemetryInboundInterceptor {
  override handleUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>): Promise<unknown> {
    return next(input);
  }

  override validateUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'validateUpdate'>): void {
    next(input);
  }

  override handleQuery(input: QueryInput, next: Next<WorkflowInboundCallsInterceptor, 'handleQuery'>): Promise<unknown> {
    return next(input);
  }
}

/** The interceptors each workflow gets in a traced bundle. */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new KernelInboundInterceptor()],
  outbound: [new OpenTelemetryOutboundInterceptor()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
