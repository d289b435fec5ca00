import { SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import type { ChatMessage, LlmResponse } from '../../kernel/llm/types';
import { modelName } from '../../kernel/llm/model-spec';
import { kernelMetrics } from './metrics';
import { ATTR, GEN_AI_OPERATION } from './names';
import { traceContent } from './tracing';

// Asked for at each call, not at import: a tracer taken before tracing starts would stay a no-op
// (the API's ESM and CommonJS copies keep separate proxies; only the registered global is shared).
const tracer = () => trace.getTracer('agent-os-kernel/llm');

/** What the kernel knows about a model call before making it. */
export interface ModelCallMeta {
  /** The provider's name (`openai`, `anthropic`, `scripted`). */
  provider: string;
  /** The agent's model spec, `provider:model`. */
  model: string;
  agentId: string;
  step: number;
  maxTokens: number;
  /** What the call paid for: the step's `reply` or a `summary`. */
  purpose: 'reply' | 'summary';
  /** The prompt, put in the span only when AOK_TRACE_CONTENT is on. */
  messages: readonly ChatMessage[];
}

/**
 * Runs one model call inside a `chat <model>` span (GenAI semantic conventions: provider, model,
 * tokens in and out, cache and reasoning tokens, finish reason, cost) and feeds the model latency,
 * token and cost metrics. `costOf` prices the response from its final usage (streamed calls too).
 */
export async function observedModelCall(meta: ModelCallMeta, call: () => Promise<LlmResponse>, costOf: (r: LlmResponse) => number): Promise<LlmResponse> {
  const model = modelName(meta.model);
  const attributes: Attributes = {
    [ATTR.operationName]: GEN_AI_OPERATION.chat,
    [ATTR.providerName]: meta.provider,
    [ATTR.requestModel]: model,
    [ATTR.requestMaxTokens]: meta.maxTokens,
    [ATTR.agentId]: meta.agentId,
    [ATTR.step]: meta.step,
    'aok.model.purpose': meta.purpose,
  };
  if (traceContent()) attributes[ATTR.inputMessages] = JSON.stringify(meta.messages);
  const started = performance.now();
  return tracer().startActiveSpan(`${GEN_AI_OPERATION.chat} ${model}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      const response = await call();
      const cost = costOf(response);
      const u = response.usage;
      span.setAttributes({
        [ATTR.responseModel]: model,
        [ATTR.finishReasons]: [response.stopReason],
        [ATTR.inputTokens]: u.promptTokens,
        [ATTR.outputTokens]: u.completionTokens,
        [ATTR.cacheReadTokens]: u.cacheReadTokens ?? 0,
        [ATTR.cacheWriteTokens]: u.cacheWriteTokens ?? 0,
        [ATTR.reasoningTokens]: u.reasoningTokens ?? 0,
        [ATTR.costUsd]: cost,
        [ATTR.usageSource]: response.usageSource,
      });
      if (traceContent()) span.setAttribute(ATTR.outputMessages, JSON.stringify([{ role: 'assistant', content: response.text, toolCalls: response.toolCalls }]));
      kernelMetrics.modelCall({ provider: meta.provider, model: meta.model }, (performance.now() - started) / 1000, { input: u.promptTokens, output: u.completionTokens, cacheRead: u.cacheReadTokens, cacheWrite: u.cacheWriteTokens, reasoning: u.reasoningTokens }, cost);
      return response;
    } catch (err) {
      const type = err instanceof Error ? err.name : 'error';
      span.setAttribute(ATTR.errorType, type);
      // The type only: a provider's message can echo the prompt.
      span.setStatus({ code: SpanStatusCode.ERROR });
      kernelMetrics.modelCall({ provider: meta.provider, model: meta.model, error: type }, (performance.now() - started) / 1000);
      throw err;
    } finally {
      span.end();
    }
  });
}
