import type { Context as ActivityContext } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, Next } from '@temporalio/worker';
import { kernelMetrics } from './metrics';

/** The queue an activity task came from, without a node's id (one series per queue kind, not per node). */
export function queueKind(taskQueue: string): string {
  const llm = taskQueue.match(/\.llm\.([a-z0-9_-]+)$/);
  if (llm) return `llm.${llm[1]}`;
  return taskQueue.includes('.node.') ? 'node' : 'shared';
}

/** Records how long each activity task waited in its queue (by queue kind and priority) and how it ended; a local activity waits in no queue. */
class ActivityMetricsInbound implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: ActivityContext) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const info = this.ctx.info;
    if (!info.isLocal) {
      const waited = Math.max(0, Date.now() - info.currentAttemptScheduledTimestampMs) / 1000;
      kernelMetrics.queueWait(queueKind(info.taskQueue), info.priority?.priorityKey ?? 0, info.activityType, waited);
    }
    const started = performance.now();
    try {
      const result = await next(input);
      kernelMetrics.activity(info.activityType, 'ok', (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      kernelMetrics.activity(info.activityType, err instanceof Error ? err.name : 'error', (performance.now() - started) / 1000);
      throw err;
    }
  }
}

/** The worker interceptor factory that feeds the queue-wait and activity histograms. */
export const activityMetrics: ActivityInterceptorsFactory = (ctx) => ({ inbound: new ActivityMetricsInbound(ctx) });
