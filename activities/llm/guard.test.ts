import { describe, expect, test } from 'bun:test';
import { ProviderError } from '../../kernel/llm/errors';
import type { LlmProvider, LlmResponse } from '../../kernel/llm/types';
import { createProviderGuard } from './guard';

const ok: LlmResponse = { text: 'ok', toolCalls: [], stopReason: 'end_turn', usage: { promptTokens: 1, completionTokens: 1 }, usageSource: 'provider' };

/** A provider double that fails with the given statuses, then succeeds. */
function flaky(statuses: number[]): LlmProvider & { calls: number } {
  return {
    name: 'flaky',
    calls: 0,
    async complete() {
      const status = statuses[this.calls++];
      if (status) throw new ProviderError('flaky', status, 'boom');
      return ok;
    },
  };
}

const request = { messages: [{ role: 'user' as const, content: 'hi' }], maxTokens: 8 };

describe('provider guard', () => {
  test('requests per minute: the next call is refused with the wait until a slot refills', async () => {
    let now = 0;
    const guard = createProviderGuard({ requestsPerMinute: 2, tokensPerMinute: 0, breakerThreshold: 5, halfOpenAfterMs: 1000 }, () => now);
    const p = flaky([]);
    await guard(p, request, 10);
    await guard(p, request, 10);
    const err = (await guard(p, request, 10).catch((e: unknown) => e)) as { type: string; nextRetryDelay: number };
    expect(err.type).toBe('RateLimited');
    expect(err.nextRetryDelay).toBe(30_000);
    expect(p.calls).toBe(2);
    now = 30_000;
    expect(await guard(p, request, 10)).toEqual(ok);
  });

  test('tokens per minute count the estimated tokens of each call', async () => {
    const guard = createProviderGuard({ requestsPerMinute: 0, tokensPerMinute: 1000, breakerThreshold: 5, halfOpenAfterMs: 1000 }, () => 0);
    await guard(flaky([]), request, 900);
    const err = (await guard(flaky([]), request, 200).catch((e: unknown) => e)) as { type: string };
    expect(err.type).toBe('RateLimited');
  });

  test('the circuit opens after consecutive retryable failures and refuses calls without reaching the provider', async () => {
    const guard = createProviderGuard({ requestsPerMinute: 0, tokensPerMinute: 0, breakerThreshold: 3, halfOpenAfterMs: 60_000 });
    const p = flaky([500, 502, 429, 0]);
    for (let i = 0; i < 3; i++) expect(await guard(p, request, 1).catch((e: unknown) => e)).toBeInstanceOf(ProviderError);
    const err = (await guard(p, request, 1).catch((e: unknown) => e)) as { type: string; nextRetryDelay: number };
    expect(err.type).toBe('CircuitOpen');
    expect(err.nextRetryDelay).toBe(60_000);
    expect(p.calls).toBe(3);
  });

  test('non-retryable errors (401) do not open the circuit', async () => {
    const guard = createProviderGuard({ requestsPerMinute: 0, tokensPerMinute: 0, breakerThreshold: 2, halfOpenAfterMs: 60_000 });
    const p = flaky([401, 401, 401, 0]);
    for (let i = 0; i < 3; i++) expect(((await guard(p, request, 1).catch((e: unknown) => e)) as ProviderError).status).toBe(401);
    expect(await guard(p, request, 1)).toEqual(ok);
  });

  test('an open circuit half-opens after its wait: one trial call goes through; success closes it, failure opens it again', async () => {
    const guard = createProviderGuard({ requestsPerMinute: 0, tokensPerMinute: 0, breakerThreshold: 2, halfOpenAfterMs: 200 });
    const p = flaky([500, 500, 503, 0, 0]);
    for (let i = 0; i < 2; i++) await guard(p, request, 1).catch(() => undefined);
    expect(((await guard(p, request, 1).catch((e: unknown) => e)) as { type: string }).type).toBe('CircuitOpen');
    expect(p.calls).toBe(2);
    await Bun.sleep(250);
    // Half-open: the trial call reaches the provider, fails, and the circuit opens again at once.
    expect(await guard(p, request, 1).catch((e: unknown) => e)).toBeInstanceOf(ProviderError);
    expect(p.calls).toBe(3);
    expect(((await guard(p, request, 1).catch((e: unknown) => e)) as { type: string }).type).toBe('CircuitOpen');
    expect(p.calls).toBe(3);
    await Bun.sleep(250);
    // The next trial succeeds: the circuit closes, and calls flow again.
    expect(await guard(p, request, 1)).toEqual(ok);
    expect(await guard(p, request, 1)).toEqual(ok);
    expect(p.calls).toBe(5);
  });
});
