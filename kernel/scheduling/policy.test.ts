import { describe, expect, test } from 'bun:test';
import { isTerminal, transition } from '../agent/lifecycle';
import { budgetPressure, overshoot, planCall, promptMargin, remaining } from '../cost/budget';
import { costUsd } from '../cost/prices';
import { priceOf } from '../cost/price-table';
import { fairnessKey, priorityKey } from './priority';

describe('priority policy', () => {
  test('maps priorities 1..10 onto keys 1..5', () => {
    const keys = Array.from({ length: 10 }, (_, i) => priorityKey({ basePriority: i + 1, agedIntervals: 0, budgetPressure: 0 }));
    expect(keys).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
  });
  test('aging raises a waiting step one level per interval, down to 1', () => {
    expect([0, 1, 2, 3, 9].map((a) => priorityKey({ basePriority: 10, agedIntervals: a, budgetPressure: 0 }))).toEqual([5, 4, 3, 2, 1]);
  });
  test('budget pressure lowers priority one level', () => {
    expect(priorityKey({ basePriority: 1, agedIntervals: 0, budgetPressure: 0.85 })).toBe(2);
    expect(priorityKey({ basePriority: 10, agedIntervals: 0, budgetPressure: 0.99 })).toBe(5);
  });
  test('fairness keys stay within 64 bytes', () => {
    expect(fairnessKey('acme')).toBe('acme');
    expect(new TextEncoder().encode(fairnessKey('x'.repeat(100))).length).toBeLessThanOrEqual(64);
  });
});

describe('lifecycle state machine', () => {
  test('allowed and refused transitions', () => {
    expect(transition('ready', 'start')).toBe('running');
    expect(transition('running', 'pause')).toBe('suspended');
    expect(transition('suspended', 'resume')).toBe('running');
    expect(transition('running', 'wait')).toBe('waiting');
    expect(transition('waiting', 'unblock')).toBe('running');
    expect(transition('suspended', 'kill')).toBe('terminated');
    expect(transition('completed', 'resume')).toBeNull();
    expect(transition('ready', 'resume')).toBeNull();
    expect(isTerminal('terminated')).toBe(true);
    expect(isTerminal('suspended')).toBe(false);
  });
});

describe('cost and budgets', () => {
  test('prices per model and USD arithmetic', () => {
    expect(priceOf('openai:gpt-4o-mini')).toMatchObject({ inputPerMTok: 0.15, outputPerMTok: 0.6, cacheReadPerMTok: 0.075, known: true });
    expect(priceOf('scripted:5').known).toBe(true);
    expect(priceOf('openai:my-local-llama').known).toBe(false);
    expect(costUsd({ inputPerMTok: 3, outputPerMTok: 15 }, 1_000_000, 100_000)).toBe(4.5);
  });
  test('the next call is capped to what the budget leaves, and refused only when too little is left', () => {
    const price = { inputPerMTok: 1, outputPerMTok: 2 };
    const spent = { promptTokens: 800, completionTokens: 100, costUsd: 0.001 };
    const tokens = { maxTotalTokens: 1000, maxCostUsd: null };
    // 100 tokens left, a 50-token prompt: the 1,024-token step cap becomes 50.
    expect(planCall(tokens, spent, { promptTokens: 50, maxCompletionTokens: 1024, price, promptMargin: 1 })).toEqual({ ok: true, maxCompletionTokens: 50, reservedPromptTokens: 50, capped: true });
    expect(planCall(tokens, spent, { promptTokens: 20, maxCompletionTokens: 64, price, promptMargin: 1 })).toEqual({ ok: true, maxCompletionTokens: 64, reservedPromptTokens: 20, capped: false });
    // A learned margin reserves more prompt: 50 × 1.8 = 90 leaves 10 < 16 → refused.
    expect(planCall(tokens, spent, { promptTokens: 50, maxCompletionTokens: 1024, price, promptMargin: 1.8 })).toEqual({ ok: false, limit: 'tokens', wouldSpend: 1006, allowed: 1000 });
    // A margin below 1 is never used to reserve less than the kernel counted.
    expect(planCall(tokens, spent, { promptTokens: 50, maxCompletionTokens: 1024, price, promptMargin: 0.5 })).toMatchObject({ ok: true, reservedPromptTokens: 50 });
    // USD: $0.0011 left after $0.001 spent… of which the 100-token prompt takes $0.0001, leaving 500 completion tokens at $2/M.
    expect(planCall({ maxTotalTokens: null, maxCostUsd: 0.0021 }, spent, { promptTokens: 100, maxCompletionTokens: 4096, price, promptMargin: 1 })).toEqual({ ok: true, maxCompletionTokens: 500, reservedPromptTokens: 100, capped: true });
    expect(planCall({ maxTotalTokens: null, maxCostUsd: 0.0011 }, spent, { promptTokens: 100, maxCompletionTokens: 100, price, promptMargin: 1 }).ok).toBe(false);
    expect(planCall({ maxTotalTokens: null, maxCostUsd: null }, spent, { promptTokens: 1e9, maxCompletionTokens: 1e9, price, promptMargin: 3 })).toMatchObject({ ok: true, maxCompletionTokens: 1e9 });
  });
  test('an overshoot is measured from the provider’s bill, and the margin from recent ratios', () => {
    expect(overshoot({ maxTotalTokens: 200, maxCostUsd: null }, { promptTokens: 500, completionTokens: 10, costUsd: 0 })).toEqual({ tokens: 310, costUsd: 0 });
    expect(overshoot({ maxTotalTokens: null, maxCostUsd: 0.01 }, { promptTokens: 0, completionTokens: 0, costUsd: 0.0125 })).toEqual({ tokens: 0, costUsd: 0.0025 });
    expect(overshoot({ maxTotalTokens: 600, maxCostUsd: null }, { promptTokens: 500, completionTokens: 10, costUsd: 0 })).toEqual({ tokens: 0, costUsd: 0 });
    expect(promptMargin([])).toBe(1);
    expect(promptMargin([0.9, 1.2, 1.1])).toBe(1.2);
    expect(promptMargin([0.8, Number.NaN])).toBe(1);
  });
  test('pressure and remaining budget', () => {
    const budget = { maxTotalTokens: 1000, maxCostUsd: 1 };
    const spent = { promptTokens: 300, completionTokens: 200, costUsd: 0.9 };
    expect(budgetPressure(budget, spent)).toBeCloseTo(0.9);
    expect(remaining(budget, spent)).toEqual({ maxTotalTokens: 500, maxCostUsd: expect.closeTo(0.1, 9) });
    expect(remaining({ maxTotalTokens: null, maxCostUsd: null }, spent)).toEqual({ maxTotalTokens: null, maxCostUsd: null });
  });
});

describe('token bucket', () => {
  test('takes while there is room, then says how long to wait, and refills over time', async () => {
    const { TokenBucket } = await import('./token-bucket');
    const bucket = new TokenBucket(60, 60_000, 0);
    expect(bucket.take(50, 0)).toBe(0);
    expect(bucket.take(20, 0)).toBe(10_000);
    expect(bucket.take(20, 10_000)).toBe(0);
    expect(bucket.take(1000, 10_000)).toBe(60_000);
  });
});

describe('continue-as-new policy', () => {
  test('continues before the history grows past the kernel limits, or when Temporal suggests it', async () => {
    const { shouldContinueAsNew } = await import('../agent/continue-as-new');
    expect(shouldContinueAsNew({ continueAsNewSuggested: false, historyLength: 100, historySize: 50_000 })).toBe(false);
    expect(shouldContinueAsNew({ continueAsNewSuggested: true, historyLength: 100, historySize: 50_000 })).toBe(true);
    expect(shouldContinueAsNew({ continueAsNewSuggested: false, historyLength: 4_000, historySize: 50_000 })).toBe(true);
    expect(shouldContinueAsNew({ continueAsNewSuggested: false, historyLength: 10, historySize: 1_500_000 })).toBe(true);
  });
});
