import { countChatTokens, countTextTokens } from '../../kernel/llm/tokens';
import { ProviderError } from '../../kernel/llm/errors';
import type { ChatMessage, LlmProvider, LlmRequest, LlmResponse, ToolCall } from '../../kernel/llm/types';
import { encode, decode } from 'gpt-tokenizer';

const CALL_LINE = /^CALL ([A-Za-z0-9_.-]+)\s*(\{.*\})?\s*$/gm;
/** How much of a message a reply quotes. */
const QUOTE_CHARS = 60;

/** The tool calls scripted in a text, one `CALL <tool> {json}` per line. */
export function scriptedCalls(text: string): Array<{ name: string; arguments: Record<string, unknown> }> {
  const calls = [];
  for (const m of text.matchAll(CALL_LINE)) {
    let args: Record<string, unknown> = {};
    try {
      args = m[2] ? (JSON.parse(m[2]) as Record<string, unknown>) : {};
    } catch {
      args = { _unparsed: m[2] };
    }
    calls.push({ name: m[1]!, arguments: args });
  }
  return calls;
}

/** The id the scripted model gives the call it makes at `turn` (the `index`-th scripted call, 1-based). */
export function scriptedCallId(turn: number, index: number): string {
  return `call_${turn}_${index}`;
}

/** A short, single-line quote of a message. */
function quote(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > QUOTE_CHARS ? `${line.slice(0, QUOTE_CHARS)}…` : line;
}

/** Refuses a prompt the agent could not have meant to send: the scripted model fails as a provider would on a bad request. */
function refuse(why: string): never {
  throw new ProviderError('scripted', 400, `scripted model: ${why}`);
}

/** Cuts a reply to `maxTokens` tokens, as a provider does with `max_tokens`. */
function capped(text: string, maxTokens: number): { text: string; cut: boolean } {
  const tokens = encode(text);
  return tokens.length <= maxTokens ? { text, cut: false } : { text: decode(tokens.slice(0, maxTokens)), cut: true };
}

/**
 * A deterministic offline model that reads what it is sent. It makes the tool calls scripted in the
 * agent's input (`CALL <tool> {json}` lines), one per step, takes `turns` steps in all and answers on
 * the last; every reply quotes the latest user message, and the final answer the last tool result.
 * It refuses (a 400, as a provider would) a prompt with no user message, and a prompt that lacks the
 * result of the tool call it asked for in the step before — so a context that drops a page the agent
 * needs fails loudly instead of passing unnoticed. The same conversation always yields the same reply.
 */
export class ScriptedModel implements LlmProvider {
  readonly name = 'scripted';
  constructor(
    private readonly turns: number,
    private readonly latencyMs = 0,
  ) {}

  async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
    if (this.latencyMs > 0) await sleep(this.latencyMs, signal);
    const { messages } = request;
    const users = messages.filter((m) => m.role === 'user');
    if (users.length === 0) refuse('the prompt holds no user message: the agent’s input is missing from its context');
    // Plan by the step when known: paging may have evicted earlier replies from the prompt.
    const turn = request.step ?? messages.filter((m) => m.role === 'assistant').length + 1;
    const system = messages.find((m) => m.role === 'system')?.content ?? '';
    const goal = /^Goal: (.*)$/m.exec(system)?.[1] ?? 'the task';
    const firstUser = users[0]!.content;
    const lastUser = users.at(-1)!.content;
    const results = messages.filter((m): m is Extract<ChatMessage, { role: 'tool' }> => m.role === 'tool');
    // The script is the first user message that holds CALL lines (shared memories may come first).
    const planned = scriptedCalls(users.find((m) => /^CALL /m.test(m.content))?.content ?? '');
    const callIndex = request.step !== undefined ? request.step - 1 : results.length;
    // The call made in the step before must have its result in this prompt.
    if (request.step !== undefined && callIndex >= 1 && callIndex - 1 < planned.length) {
      const asked = scriptedCallId(turn - 1, callIndex);
      if (!results.some((r) => r.toolCallId === asked)) refuse(`the result of ${asked} (asked at step ${turn - 1}) is not in the prompt`);
    }

    let text: string;
    let toolCalls: ToolCall[] = [];
    let stopReason: LlmResponse['stopReason'];
    if (callIndex < planned.length) {
      const next = planned[callIndex]!;
      toolCalls = [{ id: scriptedCallId(turn, callIndex + 1), name: next.name, arguments: next.arguments }];
      text = `Step ${turn}: calling ${next.name}.`;
      stopReason = 'tool_use';
    } else if (turn >= Math.max(this.turns, planned.length + 1)) {
      const last = results.at(-1);
      text = `Final answer (step ${turn}/${this.turns}): completed "${goal}" from an input of ${countTextTokens(firstUser)} tokens; the last message says "${quote(lastUser)}".` + (last ? ` Last tool result: ${last.content}` : '');
      stopReason = 'end_turn';
    } else {
      text = `Step ${turn}/${this.turns}: working on "${goal}"; the last message says "${quote(lastUser)}".`;
      stopReason = 'continue';
    }
    const reply = capped(text, Math.max(1, request.maxTokens));
    // A final answer cut by the cap ends as a provider's would; a cut working note still continues.
    if (reply.cut && stopReason === 'end_turn') stopReason = 'max_tokens';
    request.onToken?.(reply.text);
    const completionTokens = countTextTokens(reply.text) + toolCalls.reduce((n, c) => n + countTextTokens(c.name + JSON.stringify(c.arguments)), 0);
    return { text: reply.text, toolCalls, stopReason, usage: { promptTokens: countChatTokens(messages), completionTokens }, usageSource: 'tokenizer' };
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason ?? new Error('aborted'));
    }, { once: true });
  });
}
