import { countChatTokens, countTextTokens } from '../../kernel/llm/tokens';
import type { LlmProvider, LlmRequest, LlmResponse } from '../../kernel/llm/types';

/**
 * A deterministic offline model: it takes `turns` steps, one reply per step, and gives its final
 * answer on the last. The same conversation always yields the same reply, so runs replay exactly.
 */
export class ScriptedModel implements LlmProvider {
  readonly name = 'scripted';
  constructor(private readonly turns: number) {}

  async complete(request: LlmRequest): Promise<LlmResponse> {
    const turn = request.messages.filter((m) => m.role === 'assistant').length + 1;
    const system = request.messages.find((m) => m.role === 'system')?.content ?? '';
    const goal = /^Goal: (.*)$/m.exec(system)?.[1] ?? 'the task';
    const firstUser = request.messages.find((m) => m.role === 'user')?.content ?? '';
    const inputTokens = countTextTokens(firstUser);
    const final = turn >= this.turns;
    const text = final
      ? `Final answer (step ${turn}/${this.turns}): completed "${goal}" from an input of ${inputTokens} tokens.`
      : `Step ${turn}/${this.turns}: working on "${goal}".`;
    return {
      text,
      stopReason: final ? 'end_turn' : 'continue',
      usage: { promptTokens: countChatTokens(request.messages), completionTokens: countTextTokens(text) },
      usageSource: 'tokenizer',
    };
  }
}
