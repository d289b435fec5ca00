import { countTokens } from 'gpt-tokenizer';
import type { ChatMessage } from './types';

/**
 * The longest run of one character class counted in one piece. BPE is quadratic in the length of a
 * pre-token, and a run without word boundaries (a base64 blob, 100 KB of `a`, CJK text, 65 KB of
 * tabs) is one pre-token: counted whole, 100 KB took 39 s. Cut into 32-character pieces the count is linear
 * (1,000,000 random CJK characters in ~0.4 s) and at most one token per cut over the exact figure
 * (measured ≤ 1.1% on random letters and base64, exact on CJK and on ordinary prose).
 */
export const MAX_RUN_CHARS = 32;
/** A long run of one class: non-space characters, or whitespace (o200k keeps a whitespace run as one pre-token too). */
const LONG_RUN = new RegExp(`\\S{${MAX_RUN_CHARS + 1},}|\\s{${MAX_RUN_CHARS + 1},}`, 'g');
/** Text is counted in slices of about this many characters, cut at whitespace (the async counter yields between them). */
const SLICE_CHARS = 65_536;

function countRun(run: string): number {
  let total = 0;
  for (let i = 0; i < run.length; ) {
    let j = Math.min(run.length, i + MAX_RUN_CHARS);
    // Never split a surrogate pair.
    if (j < run.length && isHighSurrogate(run.charCodeAt(j - 1))) j--;
    total += countTokens(run.slice(i, j));
    i = j;
  }
  return total;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Tokens of one slice: ordinary text counted exactly, long unbroken runs in pieces. */
function countSlice(text: string): number {
  let total = 0;
  let last = 0;
  for (const m of text.matchAll(LONG_RUN)) {
    total += countTokens(text.slice(last, m.index));
    total += countRun(m[0]);
    last = m.index + m[0].length;
  }
  return total + countTokens(text.slice(last));
}

/** Cuts `text` into slices of about {@link SLICE_CHARS}, at whitespace where there is any. */
function slices(text: string): string[] {
  if (text.length <= SLICE_CHARS) return [text];
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + SLICE_CHARS);
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end);
      if (space > start + SLICE_CHARS / 2) end = space;
      else if (isHighSurrogate(text.charCodeAt(end - 1))) end--;
    }
    out.push(text.slice(start, end));
    start = end;
  }
  return out;
}

/**
 * Tokens of a text under the o200k_base encoding (GPT-4o family): a real tokenizer, linear in the
 * text's length (see {@link MAX_RUN_CHARS}).
 */
export function countTextTokens(text: string): number {
  let total = 0;
  for (const s of slices(text)) total += countSlice(s);
  return total;
}

/**
 * {@link countTextTokens} for request paths: the same count, but it yields to the event loop between
 * 64 KB slices, so a large body never holds up other requests or the workflow tasks of the process.
 */
export async function countTextTokensAsync(text: string): Promise<number> {
  const parts = slices(text);
  if (parts.length === 1) return countSlice(text);
  let total = 0;
  for (const s of parts) {
    total += countSlice(s);
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
  }
  return total;
}

/** Prompt tokens of a chat, with OpenAI's per-message framing overhead (4 per message, 3 to prime). */
export function countChatTokens(messages: readonly ChatMessage[]): number {
  let total = 3;
  for (const m of messages) {
    total += 4 + countTextTokens(m.content);
    if (m.role === 'assistant' && m.toolCalls) for (const c of m.toolCalls) total += countTextTokens(c.name + JSON.stringify(c.arguments));
  }
  return total;
}
