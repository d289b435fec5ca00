import { describe, expect, test } from 'bun:test';
import { countTokens } from 'gpt-tokenizer';
import { countTextTokens, countTextTokensAsync, MAX_RUN_CHARS } from './tokens';

let seed = 11;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const randomText = (n: number, from: number, span: number) => Array.from({ length: n }, () => String.fromCharCode(from + Math.floor(rnd() * span))).join('');

describe('token counting', () => {
  test('ordinary prose is counted exactly as the tokenizer counts it', () => {
    const prose = 'The kernel pages an agent’s context like RAM. It keeps a stable prefix, a recent window, and the pages that matter most. '.repeat(40);
    expect(countTextTokens(prose)).toBe(countTokens(prose));
    expect(countTextTokens('')).toBe(0);
  });

  test('long runs without word boundaries are counted within a few percent, never under', () => {
    for (const text of [randomText(4_000, 97, 26), Buffer.from(randomText(3_000, 0, 256)).toString('base64'), randomText(4_000, 0x4e00, 20_000)]) {
      const exact = countTokens(text);
      const counted = countTextTokens(text);
      expect(counted).toBeGreaterThanOrEqual(exact);
      expect(counted).toBeLessThanOrEqual(Math.ceil(exact * 1.03) + 1);
    }
  });

  test('a surrogate pair is never cut in two', () => {
    const emoji = '😀'.repeat(MAX_RUN_CHARS * 3);
    expect(countTextTokens(emoji)).toBeGreaterThan(0);
    expect(countTextTokens(`x${emoji}`)).toBeGreaterThan(0);
  });

  test('1,000,000 characters without a space are counted (the old count was quadratic: 100 KB took 39 s)', { timeout: 5_000 }, () => {
    expect(countTextTokens('a'.repeat(1_000_000))).toBe(125_000);
    expect(countTextTokens(randomText(1_000_000, 0x4e00, 20_000))).toBeGreaterThan(1_000_000);
  });

  test('long whitespace runs (spaces, tabs, newlines) are linear too', { timeout: 5_000 }, () => {
    for (const ws of [' ', '\t', '\n', ' \t\n']) {
      const text = `a${ws.repeat(Math.ceil(250_000 / ws.length))}b`;
      const counted = countTextTokens(text);
      expect(counted).toBeGreaterThan(0);
      expect(counted).toBeLessThan(text.length);
    }
    expect(countTextTokens(`x${' '.repeat(100)}y`)).toBeGreaterThanOrEqual(countTokens(`x${' '.repeat(100)}y`));
  });

  test('the async count equals the sync count and yields to the event loop on large texts', async () => {
    const text = `${randomText(200_000, 97, 26)} ${'word '.repeat(30_000)}`;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const counted = await countTextTokensAsync(text);
    clearInterval(timer);
    expect(counted).toBe(countTextTokens(text));
    expect(ticks).toBeGreaterThan(0);
  });
});
