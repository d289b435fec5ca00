import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { costUsd, PRICE_TABLE, priceOf, usageCostUsd } from './prices';

describe('pricing each kind of token', () => {
  test('cache reads, cache writes and reasoning at their own prices (claude-sonnet-4-5, gpt-4o)', () => {
    const sonnet = priceOf('anthropic:claude-sonnet-4-5');
    // 1,000 uncached × $3 + 2,000 cache reads × $0.30 + 500 cache writes × $3.75 + 300 output × $15, per million.
    expect(usageCostUsd(sonnet, { promptTokens: 3500, completionTokens: 300, cacheReadTokens: 2000, cacheWriteTokens: 500 })).toBe(0.009975);
    // OpenAI bills reasoning as output: 200 output of which 50 reasoning is 200 × $10.
    expect(usageCostUsd(priceOf('openai:gpt-4o'), { promptTokens: 1000, completionTokens: 200, cacheReadTokens: 600, reasoningTokens: 50 })).toBe(0.00375);
  });

  test('without cache or reasoning tokens it is the plain input/output price', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(PRICE_TABLE)), fc.nat(1_000_000), fc.nat(100_000), (model, p, c) => {
        const price = priceOf(`openai:${model}`);
        expect(usageCostUsd(price, { promptTokens: p, completionTokens: c })).toBe(costUsd(price, p, c));
      }),
    );
  });

  test('a cache discount never makes a call cost more, and counts never exceed their totals', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(PRICE_TABLE)), fc.nat(100_000), fc.nat(100_000), fc.nat(200_000), fc.nat(200_000), (model, p, c, read, reasoning) => {
        const price = priceOf(`anthropic:${model}`);
        const plain = costUsd(price, p, c);
        const cached = usageCostUsd(price, { promptTokens: p, completionTokens: c, cacheReadTokens: read, reasoningTokens: reasoning });
        expect(cached).toBeLessThanOrEqual(plain + 1e-9);
        expect(cached).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
