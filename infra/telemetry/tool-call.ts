import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { kernelMetrics } from './metrics';
import { ATTR, GEN_AI_OPERATION } from './names';
import { traceContent } from './tracing';

// Asked for at each call, not at import: a tracer taken before tracing starts would stay a no-op
// (the API's ESM and CommonJS copies keep separate proxies; only the registered global is shared).
const tracer = () => trace.getTracer('agent-os-kernel/tools');

/** What a tool call's span names. */
export interface ToolCallMeta {
  agentId: string;
  step: number;
  callId: string;
  tool: string;
  /** Put in the span only when AOK_TRACE_CONTENT is on. */
  arguments: Record<string, unknown>;
}

/** How a tool call ended, and what the model will read. */
export interface ToolOutcome {
  status: 'succeeded' | 'failed' | 'rejected' | 'refused';
  result: string;
}

/**
 * Runs one tool call inside an `execute_tool <name>` span (its status, and with AOK_TRACE_CONTENT
 * its arguments and result); whatever the tool starts (a child agent, a crew) joins the trace.
 * Feeds the tool latency histogram.
 */
export async function observedToolCall(meta: ToolCallMeta, run: () => Promise<ToolOutcome>): Promise<ToolOutcome> {
  const started = performance.now();
  return tracer().startActiveSpan(
    `${GEN_AI_OPERATION.executeTool} ${meta.tool}`,
    { kind: SpanKind.INTERNAL, attributes: { [ATTR.operationName]: GEN_AI_OPERATION.executeTool, [ATTR.toolName]: meta.tool, [ATTR.toolCallId]: meta.callId, [ATTR.toolType]: 'function', [ATTR.agentId]: meta.agentId, [ATTR.step]: meta.step } },
    async (span) => {
      try {
        const outcome = await run();
        span.setAttribute(ATTR.toolStatus, outcome.status);
        if (outcome.status === 'failed') span.setStatus({ code: SpanStatusCode.ERROR });
        if (traceContent()) span.setAttributes({ [ATTR.toolArguments]: JSON.stringify(meta.arguments), [ATTR.toolResult]: outcome.result });
        kernelMetrics.tool(meta.tool, outcome.status, (performance.now() - started) / 1000);
        return outcome;
      } catch (err) {
        span.setAttribute(ATTR.errorType, err instanceof Error ? err.name : 'error');
        span.setStatus({ code: SpanStatusCode.ERROR });
        kernelMetrics.tool(meta.tool, 'cancelled', (performance.now() - started) / 1000);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
