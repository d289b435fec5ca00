import { countTokens } from 'gpt-tokenizer';
import type { ChatMessage } from './types';

/** Tokens of a text under the o200k_base encoding (GPT-4o family): a real tokenizer, not a guess. */
export function countTextTokens(text: string): number {
  return countTokens(text);
}

/** Prompt tokens of a chat, with OpenAI's per-message framing overhead (4 per message, 3 to prime). */
export function countChatTokens(messages: readonly ChatMessage[]): number {
  let total = 3;
  for (const m of messages) {
    total += 4 + countTokens(m.content);
    if (m.role === 'assistant' && m.toolCalls) for (const c of m.toolCalls) total += countTokens(c.name + JSON.stringify(c.arguments));
  }
  return total;
}
