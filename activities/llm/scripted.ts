import { countChatTokens, countTextTokens } from '../../kernel/llm/tokens';
import type { LlmProvider, LlmRequest, LlmResponse, ToolCall } from '../../kernel/llm/types';

const CALL_LINE = /^CALL ([A-Za-z0-9_-]+)\s*(\{.*\})?\s*$/gm;

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

/**
 * A deterministic offline model. It makes the tool calls scripted in the first user message
 * (`CALL <tool> {json}` lines), one per step, then takes `turns` steps in all and gives its final
 * answer on the last. The same conversation always yields the same reply, so runs replay exactly.
 */
export class ScriptedModel implements LlmProvider {
  readonly name = 'scripted';
  constructor(
    private readonly turns: number,
    private readonly latencyMs = 0,
  ) {}

  async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
    if (this.latencyMs > 0) await sleep(this.latencyMs, signal);
    // Plan by the step when known: paging may have evicted earlier replies from the prompt.
    const turn = request.step ?? request.messages.filter((m) => m.role === 'assistant').length + 1;
    const system = request.messages.find((m) => m.role === 'system')?.content ?? '';
    const goal = /^Goal: (.*)$/m.exec(system)?.[1] ?? 'the task';
    const firstUser = request.messages.find((m) => m.role === 'user')?.content ?? '';
    const results = request.messages.filter((m) => m.role === 'tool');
    // The script is the first user message that holds CALL lines (shared memories may come first).
    const planned = scriptedCalls(request.messages.find((m) => m.role === 'user' && /^CALL /m.test(m.content))?.content ?? '');

    let text: string;
    let toolCalls: ToolCall[] = [];
    let stopReason: LlmResponse['stopReason'];
    const callIndex = request.step !== undefined ? request.step - 1 : results.length;
    if (callIndex < planned.length) {
      const next = planned[callIndex]!;
      toolCalls = [{ id: `call_${turn}_${callIndex + 1}`, name: next.name, arguments: next.arguments }];
      text = `Step ${turn}: calling ${next.name}.`;
      stopReason = 'tool_use';
    } else if (turn >= Math.max(this.turns, planned.length + 1)) {
      const last = results.at(-1);
      text = `Final answer (step ${turn}/${this.turns}): completed "${goal}" from an input of ${countTextTokens(firstUser)} tokens.` + (last ? ` Last tool result: ${last.content}` : '');
      stopReason = 'end_turn';
    } else {
      text = `Step ${turn}/${this.turns}: working on "${goal}".`;
      stopReason = 'continue';
    }
    request.onToken?.(text);
    const completionTokens = countTextTokens(text) + toolCalls.reduce((n, c) => n + countTextTokens(c.name + JSON.stringify(c.arguments)), 0);
    return { text, toolCalls, stopReason, usage: { promptTokens: countChatTokens(request.messages), completionTokens }, usageSource: 'tokenizer' };
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason ?? new Error('aborted'));
    }, { once: true });
  });
}
