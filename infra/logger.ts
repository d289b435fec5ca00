import { isSpanContextValid, trace } from '@opentelemetry/api';
import { asyncLocalStorage } from '@temporalio/activity';
import pino from 'pino';
import { errorSerializer } from './log-redaction';

/** What an activity's log line is about: the agent (or crew) whose workflow scheduled it. */
function activitySubject(): Record<string, string> {
  // The store, not Context.current(): that throws (and builds a stack) on every line outside an activity.
  const info = asyncLocalStorage.getStore()?.info;
  const id = info?.workflowExecution?.workflowId;
  if (!info || !id) return {};
  return info.workflowType === 'agentWorkflow' ? { agentId: id } : { workflowId: id };
}

/** The ids that join a log line to its trace (`trace_id`, `span_id`) and to its agent. */
export function logCorrelation(): Record<string, string> {
  const context = trace.getActiveSpan()?.spanContext();
  const ids: Record<string, string> = context && isSpanContextValid(context) ? { trace_id: context.traceId, span_id: context.spanId } : {};
  return { ...ids, ...activitySubject() };
}

/** The structured logger: JSON lines on stdout (or `destination`), level from LOG_LEVEL; errors are serialised without SQL, parameters or user content; every line carries its trace, span and agent ids when it has them. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', name = 'aok', destination?: pino.DestinationStream): pino.Logger {
  const options: pino.LoggerOptions = { name, level, base: { pid: process.pid }, serializers: { err: errorSerializer, error: errorSerializer }, mixin: logCorrelation };
  return destination ? pino(options, destination) : pino(options);
}

/** A pino logger. */
export type Logger = pino.Logger;
