/** One chat message sent to a model. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** One model call. */
export interface LlmRequest {
  messages: ChatMessage[];
  maxTokens: number;
}

/**
 * Why the model stopped: `end_turn` is a final answer; `continue` means the model wants another
 * step (the scripted model's plan); `max_tokens` is a cut-off answer.
 */
export type StopReason = 'end_turn' | 'continue' | 'max_tokens';

/** A model's reply and what it cost. */
export interface LlmResponse {
  text: string;
  stopReason: StopReason;
  usage: { promptTokens: number; completionTokens: number };
  /** Where the token counts came from. */
  usageSource: 'provider' | 'tokenizer';
}

/** A chat model behind one interface (OpenAI-compatible, Anthropic, scripted). */
export interface LlmProvider {
  readonly name: string;
  complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse>;
}
