/** A tool call the model asked for; `arguments` is the parsed JSON object. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

/** A tool as shown to the model: name, description and JSON schema of its arguments. */
export interface ToolSchema {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** One chat message sent to a model. */
export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; content: string; toolCallId: string; toolName: string };

/** One model call. */
export interface LlmRequest {
  messages: ChatMessage[];
  maxTokens: number;
  tools?: ToolSchema[];
  /** Called with each text fragment as it arrives (streaming providers). */
  onToken?: (text: string) => void;
  /** The agent step this call serves (1-based); the scripted model plans by it. */
  step?: number;
  /** The GPUs (or MIG instances) the agent's lease holds, by UUID, for a provider that runs the model in-process. */
  devices?: string[];
}

/**
 * Why the model stopped: `end_turn` is a final answer; `tool_use` asks for tool calls;
 * `continue` means the model wants another step (the scripted model's plan); `max_tokens` is a
 * cut-off answer.
 */
export type StopReason = 'end_turn' | 'tool_use' | 'continue' | 'max_tokens';

/**
 * Tokens of one call as the provider billed them. `promptTokens` counts every input token, cached
 * ones included; `cacheReadTokens` and `cacheWriteTokens` are the parts of it read from or written
 * to the provider's prompt cache, `reasoningTokens` the part of `completionTokens` spent thinking.
 */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
}

/** A model's reply and what it cost. */
export interface LlmResponse {
  text: string;
  toolCalls: ToolCall[];
  stopReason: StopReason;
  usage: TokenUsage;
  /** Where the token counts came from. */
  usageSource: 'provider' | 'tokenizer';
}

/** A chat model behind one interface (OpenAI-compatible, Anthropic, scripted). */
export interface LlmProvider {
  readonly name: string;
  complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse>;
}
