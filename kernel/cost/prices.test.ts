import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { callCostUsd, configurePrices, priceOf } from './price-table';
import { costUsd, usageCostUsd } from './prices';

const MODELS = ['openai:gpt-4o', 'openai:gpt-4o-mini', 'openai:gpt-4.1', 'openai:o4-mini', 'anthropic:claude-sonnet-4-5', 'anthropic:claude-haiku-4-5'];
// The test preload prices the scripted model; each test here starts from the bare table and leaves it priced again.
const TEST_PRICES = { scripted: { inputPerMTok: 1, outputPerMTok: 2 } };
beforeEach(() => configurePrices({}));
afterEach(() => configurePrices(TEST_PRICES));

describe('prices from the maintained table, operator overrides, and the free scripted model', () => {
  test('the scripted model costs nothing offline; an operator price wins', () => {
    expect(priceOf('scripted:5')).toEqual({ inputPerMTok: 0, outputPerMTok: 0, known: true });
    expect(callCostUsd('scripted:2', { promptTokens: 1_000_000, completionTokens: 1_000_000 })).toBe(0);
    configurePrices({ scripted: { inputPerMTok: 1, outputPerMTok: 2 }, 'my-local-llama': { inputPerMTok: 0.05, outputPerMTok: 0.1 } });
    expect(callCostUsd('scripted:2', { promptTokens: 1_000_000, completionTokens: 500_000 })).toBe(2);
    expect(priceOf('openai:my-local-llama')).toMatchObject({ inputPerMTok: 0.05, known: true });
  });

  test('real models from @pydantic/genai-prices; an unknown one is 0 and flagged', () => {
    expect(priceOf('openai:gpt-4o-mini')).toMatchObject({ inputPerMTok: 0.15, outputPerMTok: 0.6, cacheReadPerMTok: 0.075, known: true });
    expect(priceOf('anthropic:claude-sonnet-4-5')).toMatchObject({ inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75 });
    expect(priceOf('openai:my-local-llama')).toEqual({ inputPerMTok: 0, outputPerMTok: 0, known: false });
    expect(callCostUsd('openai:my-local-llama', { promptTokens: 1000, completionTokens: 10 })).toBe(0);
  });

  test('a call is priced with its real counts: cache reads and writes apart, long-context tiers applied', () => {
    // 1,000 uncached × $3 + 2,000 cache reads × $0.30 + 500 cache writes × $3.75 + 300 output × $15, per million.
    expect(callCostUsd('anthropic:claude-sonnet-4-5', { promptTokens: 3500, completionTokens: 300, cacheReadTokens: 2000, cacheWriteTokens: 500 })).toBeCloseTo(0.009975, 9);
    // Past 200k input tokens the table's higher tier applies ($6 / $22.50), which a flat rate would miss.
    expect(callCostUsd('anthropic:claude-sonnet-4-5', { promptTokens: 300_000, completionTokens: 1_000 })).toBeGreaterThan(costUsd(priceOf('anthropic:claude-sonnet-4-5'), 300_000, 1_000));
  });
});

describe('pricing each kind of token at a price', () => {
  test('cache reads, cache writes and reasoning at their own prices', () => {
    expect(usageCostUsd({ inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75 }, { promptTokens: 3500, completionTokens: 300, cacheReadTokens: 2000, cacheWriteTokens: 500 })).toBe(0.009975);
    // Reasoning billed as output: 200 output of which 50 reasoning is 200 × $10.
    expect(usageCostUsd(priceOf('openai:gpt-4o'), { promptTokens: 1000, completionTokens: 200, cacheReadTokens: 600, reasoningTokens: 50 })).toBe(0.00375);
  });

  test('without cache or reasoning tokens it is the plain input/output price', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MODELS), fc.nat(1_000_000), fc.nat(100_000), (model, p, c) => {
        const price = priceOf(model);
        expect(usageCostUsd(price, { promptTokens: p, completionTokens: c })).toBe(costUsd(price, p, c));
      }),
    );
  });

  test('a cache discount never makes a call cost more, and counts never exceed their totals', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MODELS), fc.nat(100_000), fc.nat(100_000), fc.nat(200_000), fc.nat(200_000), (model, p, c, read, reasoning) => {
        const price = priceOf(model);
        const plain = costUsd(price, p, c);
        const cached = usageCostUsd(price, { promptTokens: p, completionTokens: c, cacheReadTokens: read, reasoningTokens: reasoning });
        expect(cached).toBeLessThanOrEqual(plain + 1e-9);
        expect(cached).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
