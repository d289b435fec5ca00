import { z } from 'zod';
import { ProviderError } from '../../kernel/llm/errors';
import type { LlmProvider, LlmRequest, LlmResponse, StopReason } from '../../kernel/llm/types';
import { postJson } from './http';

const messageSchema = z.object({
  content: z.array(z.object({ type: z.string(), text: z.string().optional() })),
  stop_reason: z.string().nullable().optional(),
  usage: z.object({ input_tokens: z.number(), output_tokens: z.number() }),
});

const STOP: Record<string, StopReason> = { end_turn: 'end_turn', stop_sequence: 'end_turn', max_tokens: 'max_tokens' };

/** Anthropic's Messages API. */
export class AnthropicModel implements LlmProvider {
  readonly name = 'anthropic';
  constructor(
    private readonly model: string,
    private readonly baseUrl: string,
    private readonly apiKey: string | undefined,
  ) {}

  async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
    if (!this.apiKey) throw new ProviderError(this.name, 401, 'ANTHROPIC_API_KEY is not set');
    const system = request.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
    const messages = request.messages.filter((m) => m.role !== 'system');
    const raw = await postJson(this.name, `${this.baseUrl.replace(/\/$/, '')}/v1/messages`, {
      'x-api-key': this.apiKey,
      'anthropic-version': '2023-06-01',
    }, { model: this.model, max_tokens: request.maxTokens, system, messages }, signal);
    const parsed = messageSchema.safeParse(raw);
    if (!parsed.success) throw new ProviderError(this.name, 502, `unexpected response shape: ${parsed.error.message}`);
    const text = parsed.data.content.map((c) => c.text ?? '').join('');
    return {
      text,
      stopReason: STOP[parsed.data.stop_reason ?? 'end_turn'] ?? 'end_turn',
      usage: { promptTokens: parsed.data.usage.input_tokens, completionTokens: parsed.data.usage.output_tokens },
      usageSource: 'provider',
    };
  }
}
