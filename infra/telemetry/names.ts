/**
 * Every span, attribute and metric name the kernel emits, in one place. GenAI names follow the
 * OpenTelemetry GenAI semantic conventions (`gen_ai.*`); the kernel's own carry the `aok.` prefix.
 */

/** GenAI operation names (`gen_ai.operation.name`) and the span names built from them. */
export const GEN_AI_OPERATION = { chat: 'chat', executeTool: 'execute_tool', invokeAgent: 'invoke_agent' } as const;

/** Span attribute keys. */
export const ATTR = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  finishReasons: 'gen_ai.response.finish_reasons',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  cacheReadTokens: 'gen_ai.usage.cache_read.input_tokens',
  cacheWriteTokens: 'gen_ai.usage.cache_creation.input_tokens',
  reasoningTokens: 'gen_ai.usage.reasoning.output_tokens',
  agentId: 'gen_ai.agent.id',
  agentName: 'gen_ai.agent.name',
  conversationId: 'gen_ai.conversation.id',
  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
  toolType: 'gen_ai.tool.type',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  toolArguments: 'gen_ai.tool.call.arguments',
  toolResult: 'gen_ai.tool.call.result',
  errorType: 'error.type',
  costUsd: 'aok.cost.usd',
  usageSource: 'aok.usage.source',
  step: 'aok.agent.step',
  tenant: 'aok.tenant',
  node: 'aok.node.id',
  toolStatus: 'aok.tool.status',
} as const;

/** Metric names (OpenTelemetry style; Prometheus shows dots as underscores, and counters end in `_total`). */
export const METRIC = {
  tokenUsage: 'gen_ai.client.token.usage',
  operationDuration: 'gen_ai.client.operation.duration',
  costUsd: 'aok.model.cost',
  steps: 'aok.agent.steps',
  stepDuration: 'aok.agent.step.duration',
  assemblyDuration: 'aok.context.assembly.duration',
  checkpointDuration: 'aok.checkpoint.duration',
  toolDuration: 'aok.tool.duration',
  httpDuration: 'http.server.request.duration',
  queueWait: 'aok.task_queue.wait',
  activityDuration: 'aok.activity.duration',
  spansExported: 'aok.otel.spans.exported',
  spansDropped: 'aok.otel.spans.dropped',
} as const;

/** Histogram buckets in seconds for work from a millisecond to a couple of minutes. */
export const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Histogram buckets for token counts (the GenAI convention's advice). */
export const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];
