import { describe, expect, test } from 'bun:test';
import { isTerminal, transition } from '../agent/lifecycle';
import { budgetPressure, checkBudget, remaining } from '../cost/budget';
import { costUsd, priceOf } from '../cost/prices';
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
    expect(priceOf('openai:gpt-4o-mini')).toEqual({ inputPerMTok: 0.15, outputPerMTok: 0.6, known: true });
    expect(priceOf('scripted:5').known).toBe(true);
    expect(priceOf('openai:my-local-llama').known).toBe(false);
    expect(costUsd({ inputPerMTok: 3, outputPerMTok: 15 }, 1_000_000, 100_000)).toBe(4.5);
  });
  test('a call that would exceed the budget is refused before it is made', () => {
    const price = { inputPerMTok: 1, outputPerMTok: 2 };
    const spent = { promptTokens: 800, completionTokens: 100, costUsd: 0.001 };
    expect(checkBudget({ maxTotalTokens: 1000, maxCostUsd: null }, spent, { promptTokens: 50, maxCompletionTokens: 50, price })).toEqual({ ok: true });
    expect(checkBudget({ maxTotalTokens: 1000, maxCostUsd: null }, spent, { promptTokens: 50, maxCompletionTokens: 51, price })).toEqual({ ok: false, limit: 'tokens', wouldSpend: 1001, allowed: 1000 });
    const v = checkBudget({ maxTotalTokens: null, maxCostUsd: 0.0011 }, spent, { promptTokens: 100, maxCompletionTokens: 100, price });
    expect(v.ok).toBe(false);
    expect(checkBudget({ maxTotalTokens: null, maxCostUsd: null }, spent, { promptTokens: 1e9, maxCompletionTokens: 1e9, price })).toEqual({ ok: true });
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
