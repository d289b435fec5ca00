import { z } from 'zod';
import { ProviderError } from '../../kernel/llm/errors';
import { countChatTokens, countTextTokens } from '../../kernel/llm/tokens';
import type { LlmProvider, LlmRequest, LlmResponse, StopReason } from '../../kernel/llm/types';
import { postJson } from './http';

const completionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullable().optional(),
});

const STOP: Record<string, StopReason> = { stop: 'end_turn', length: 'max_tokens' };

/** OpenAI-compatible chat completions: OpenAI, vLLM, Ollama, llama.cpp server. */
export class OpenAiCompatibleModel implements LlmProvider {
  readonly name = 'openai';
  constructor(
    private readonly model: string,
    private readonly baseUrl: string,
    private readonly apiKey: string | undefined,
  ) {}

  async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
    const headers: Record<string, string> = this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {};
    const raw = await postJson(this.name, `${this.baseUrl.replace(/\/$/, '')}/chat/completions`, headers, {
      model: this.model,
      messages: request.messages,
      max_tokens: request.maxTokens,
    }, signal);
    const parsed = completionSchema.safeParse(raw);
    if (!parsed.success) throw new ProviderError(this.name, 502, `unexpected response shape: ${parsed.error.message}`);
    const choice = parsed.data.choices[0]!;
    const text = choice.message.content ?? '';
    const usage = parsed.data.usage;
    return {
      text,
      stopReason: STOP[choice.finish_reason ?? 'stop'] ?? 'end_turn',
      usage: usage
        ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens }
        : { promptTokens: countChatTokens(request.messages), completionTokens: countTextTokens(text) },
      usageSource: usage ? 'provider' : 'tokenizer',
    };
  }
}
