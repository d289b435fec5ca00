import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ATTR, GEN_AI_OPERATION } from './names';

// Asked for at each call, not at import: a tracer taken before tracing starts would stay a no-op
// (the API's ESM and CommonJS copies keep separate proxies; only the registered global is shared).
const tracer = () => trace.getTracer('agent-os-kernel/control');

/** Runs `start` (which starts an agent's workflow) inside an `invoke_agent <name>` span. */
export function invokeAgentSpan<T>(agent: { agentId: string; name: string; tenant: string }, start: () => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(
    `${GEN_AI_OPERATION.invokeAgent} ${agent.name}`,
    { kind: SpanKind.CLIENT, attributes: { [ATTR.operationName]: GEN_AI_OPERATION.invokeAgent, [ATTR.agentId]: agent.agentId, [ATTR.agentName]: agent.name, [ATTR.conversationId]: agent.agentId, [ATTR.tenant]: agent.tenant } },
    async (span) => {
      try {
        return await start();
      } catch (err) {
        span.setAttribute(ATTR.errorType, err instanceof Error ? err.name : 'error');
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
