import { kernelToolName, wireToolName } from '../../kernel/llm/wire-names';
import { z } from 'zod';
import { ProviderError } from '../../kernel/llm/errors';
import type { ChatMessage, LlmProvider, LlmRequest, LlmResponse, StopReason } from '../../kernel/llm/types';
import { postJson } from './http';

const messageSchema = z.object({
  content: z.array(z.object({ type: z.string(), text: z.string().optional(), id: z.string().optional(), name: z.string().optional(), input: z.record(z.string(), z.unknown()).optional() })),
  stop_reason: z.string().nullable().optional(),
  usage: z.object({ input_tokens: z.number(), output_tokens: z.number(), cache_read_input_tokens: z.number().nullable().optional(), cache_creation_input_tokens: z.number().nullable().optional() }),
});

const STOP: Record<string, StopReason> = { end_turn: 'end_turn', stop_sequence: 'end_turn', max_tokens: 'max_tokens', tool_use: 'tool_use' };

type Block = Record<string, unknown>;

/** Anthropic's `input_tokens` leaves out the cache reads and writes; the kernel's prompt count holds all three. */
export function anthropicUsage(u: z.infer<typeof messageSchema>['usage']): LlmResponse['usage'] {
  const cacheRead = u.cache_read_input_tokens ?? 0;
  const cacheWrite = u.cache_creation_input_tokens ?? 0;
  return { promptTokens: u.input_tokens + cacheRead + cacheWrite, completionTokens: u.output_tokens, ...(cacheRead ? { cacheReadTokens: cacheRead } : {}), ...(cacheWrite ? { cacheWriteTokens: cacheWrite } : {}) };
}

/** Our chat in Anthropic's shape: system apart, tool results as user blocks, same-role turns merged. */
export function toAnthropicMessages(messages: readonly ChatMessage[]): Array<{ role: 'user' | 'assistant'; content: Block[] }> {
  const out: Array<{ role: 'user' | 'assistant'; content: Block[] }> = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const blocks: Block[] = [];
    if (m.role === 'tool') blocks.push({ type: 'tool_result', tool_use_id: m.toolCallId, content: m.content });
    else if (m.content) blocks.push({ type: 'text', text: m.content });
    if (m.role === 'assistant') for (const c of m.toolCalls ?? []) blocks.push({ type: 'tool_use', id: c.id, name: wireToolName(c.name), input: c.arguments });
    const last = out.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  }
  return out;
}

/** Anthropic's Messages API, with tool use. */
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
    const body: Record<string, unknown> = { model: this.model, max_tokens: request.maxTokens, system, messages: toAnthropicMessages(request.messages) };
    if (request.tools?.length) body.tools = request.tools.map((t) => ({ name: wireToolName(t.name), description: t.description, input_schema: t.parameters }));
    const raw = await postJson(this.name, `${this.baseUrl.replace(/\/$/, '')}/v1/messages`, { 'x-api-key': this.apiKey, 'anthropic-version': '2023-06-01' }, body, signal);
    const parsed = messageSchema.safeParse(raw);
    if (!parsed.success) throw new ProviderError(this.name, 502, `unexpected response shape: ${parsed.error.message}`);
    const text = parsed.data.content.filter((c) => c.type === 'text').map((c) => c.text ?? '').join('');
    const toolCalls = parsed.data.content.filter((c) => c.type === 'tool_use').map((c) => ({ id: c.id ?? '', name: kernelToolName(c.name ?? '', request.tools), arguments: c.input ?? {} }));
    if (text) request.onToken?.(text);
    return {
      text,
      toolCalls,
      stopReason: toolCalls.length > 0 ? 'tool_use' : (STOP[parsed.data.stop_reason ?? 'end_turn'] ?? 'end_turn'),
      usage: anthropicUsage(parsed.data.usage),
      usageSource: 'provider',
    };
  }
}
