import { z } from 'zod';
import { ProviderError } from '../../kernel/llm/errors';
import { countChatTokens, countTextTokens } from '../../kernel/llm/tokens';
import type { LlmProvider, LlmRequest, LlmResponse, StopReason } from '../../kernel/llm/types';
import { postJson, postStream } from './http';
import { fromOpenAiToolCalls, toOpenAiMessages, toOpenAiTools } from './openai-wire';
import { sseData } from './sse';

const toolCallSchema = z.object({ id: z.string(), function: z.object({ name: z.string(), arguments: z.string() }) });
const usageSchema = z
  .object({
    prompt_tokens: z.number(),
    completion_tokens: z.number(),
    prompt_tokens_details: z.object({ cached_tokens: z.number().nullable().optional() }).nullable().optional(),
    completion_tokens_details: z.object({ reasoning_tokens: z.number().nullable().optional() }).nullable().optional(),
  })
  .nullable()
  .optional();
const completionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional(), tool_calls: z.array(toolCallSchema).nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: usageSchema,
});
const chunkSchema = z.object({
  choices: z
    .array(
      z.object({
        delta: z
          .object({
            content: z.string().nullable().optional(),
            tool_calls: z
              .array(z.object({ index: z.number(), id: z.string().optional(), function: z.object({ name: z.string().optional(), arguments: z.string().optional() }).optional() }))
              .nullable()
              .optional(),
          })
          .optional(),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .default([]),
  usage: usageSchema,
});

const STOP: Record<string, StopReason> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use' };

/** OpenAI-compatible chat completions with tool calling and streaming: OpenAI, vLLM, Ollama, llama.cpp server. */
export class OpenAiCompatibleModel implements LlmProvider {
  readonly name = 'openai';
  constructor(
    private readonly model: string,
    private readonly baseUrl: string,
    private readonly apiKey: string | undefined,
  ) {}

  async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
    const headers: Record<string, string> = this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {};
    const url = `${this.baseUrl.replace(/\/$/, '')}/chat/completions`;
    const body: Record<string, unknown> = { model: this.model, messages: toOpenAiMessages(request.messages), max_tokens: request.maxTokens };
    if (request.tools?.length) body.tools = toOpenAiTools(request.tools);
    if (request.onToken) return this.stream(url, headers, body, request, signal);

    const parsed = completionSchema.safeParse(await postJson(this.name, url, headers, body, signal));
    if (!parsed.success) throw new ProviderError(this.name, 502, `unexpected response shape: ${parsed.error.message}`);
    const choice = parsed.data.choices[0]!;
    return this.response(request, choice.message.content ?? '', fromOpenAiToolCalls(choice.message.tool_calls ?? [], request.tools), choice.finish_reason, parsed.data.usage);
  }

  private async stream(url: string, headers: Record<string, string>, body: Record<string, unknown>, request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
    const stream = await postStream(this.name, url, headers, { ...body, stream: true, stream_options: { include_usage: true } }, signal);
    let text = '';
    let finish: string | null | undefined;
    let usage: z.infer<typeof usageSchema>;
    const calls = new Map<number, { id: string; function: { name: string; arguments: string } }>();
    for await (const data of sseData(stream)) {
      if (data === '[DONE]') break;
      const chunk = chunkSchema.safeParse(JSON.parse(data));
      if (!chunk.success) throw new ProviderError(this.name, 502, `unexpected stream chunk: ${chunk.error.message}`);
      if (chunk.data.usage) usage = chunk.data.usage;
      for (const choice of chunk.data.choices) {
        if (choice.finish_reason) finish = choice.finish_reason;
        const piece = choice.delta?.content;
        if (piece) {
          text += piece;
          request.onToken?.(piece);
        }
        for (const d of choice.delta?.tool_calls ?? []) {
          const call = calls.get(d.index) ?? { id: '', function: { name: '', arguments: '' } };
          if (d.id) call.id = d.id;
          if (d.function?.name) call.function.name += d.function.name;
          if (d.function?.arguments) call.function.arguments += d.function.arguments;
          calls.set(d.index, call);
        }
      }
    }
    const ordered = [...calls.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
    return this.response(request, text, fromOpenAiToolCalls(ordered, request.tools), finish, usage);
  }

  private response(request: LlmRequest, text: string, toolCalls: LlmResponse['toolCalls'], finish: string | null | undefined, usage: z.infer<typeof usageSchema>): LlmResponse {
    const stopReason = toolCalls.length > 0 ? 'tool_use' : (STOP[finish ?? 'stop'] ?? 'end_turn');
    return {
      text,
      toolCalls,
      stopReason,
      usage: usage
        ? {
            promptTokens: usage.prompt_tokens,
            completionTokens: usage.completion_tokens,
            // OpenAI's prompt count already includes the cached part, its completion count the reasoning.
            ...(usage.prompt_tokens_details?.cached_tokens ? { cacheReadTokens: usage.prompt_tokens_details.cached_tokens } : {}),
            ...(usage.completion_tokens_details?.reasoning_tokens ? { reasoningTokens: usage.completion_tokens_details.reasoning_tokens } : {}),
          }
        : { promptTokens: countChatTokens(request.messages), completionTokens: countTextTokens(text) },
      usageSource: usage ? 'provider' : 'tokenizer',
    };
  }
}
