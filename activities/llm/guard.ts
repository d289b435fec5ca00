import { ApplicationFailure } from '@temporalio/activity';
import { BrokenCircuitError, circuitBreaker, ConsecutiveBreaker, handleWhen } from 'cockatiel';
import { ProviderError } from '../../kernel/llm/errors';
import type { LlmProvider, LlmRequest, LlmResponse } from '../../kernel/llm/types';
import { TokenBucket } from '../../kernel/scheduling/token-bucket';

/** Per-provider limits of one node. 0 means unlimited. */
export interface GuardLimits {
  requestsPerMinute: number;
  tokensPerMinute: number;
  /** Consecutive retryable failures that open the circuit. */
  breakerThreshold: number;
  /** How long an open circuit waits before letting one call through. */
  halfOpenAfterMs: number;
}

/** Defaults: no rate limit, the circuit opens after 5 consecutive 429/5xx for 10 s. */
export const DEFAULT_GUARD_LIMITS: GuardLimits = { requestsPerMinute: 0, tokensPerMinute: 0, breakerThreshold: 5, halfOpenAfterMs: 10_000 };

/** Wraps provider calls in rate limits (requests and tokens per minute) and a circuit breaker. */
export function createProviderGuard(limits: GuardLimits = DEFAULT_GUARD_LIMITS, now: () => number = Date.now) {
  const guards = new Map<string, { requests?: TokenBucket; tokens?: TokenBucket; breaker: ReturnType<typeof circuitBreaker> }>();
  const guardFor = (provider: string) => {
    let g = guards.get(provider);
    if (!g) {
      g = {
        requests: limits.requestsPerMinute > 0 ? new TokenBucket(limits.requestsPerMinute, 60_000, now()) : undefined,
        tokens: limits.tokensPerMinute > 0 ? new TokenBucket(limits.tokensPerMinute, 60_000, now()) : undefined,
        breaker: circuitBreaker(handleWhen((err) => err instanceof ProviderError && err.retryable), {
          halfOpenAfter: limits.halfOpenAfterMs,
          breaker: new ConsecutiveBreaker(limits.breakerThreshold),
        }),
      };
      guards.set(provider, g);
    }
    return g;
  };

  return async function guarded(provider: LlmProvider, request: LlmRequest, estimatedTokens: number, signal?: AbortSignal): Promise<LlmResponse> {
    const g = guardFor(provider.name);
    const waitRequests = g.requests?.take(1, now()) ?? 0;
    const waitTokens = waitRequests === 0 ? (g.tokens?.take(estimatedTokens, now()) ?? 0) : 0;
    const wait = Math.max(waitRequests, waitTokens);
    if (wait > 0) {
      throw ApplicationFailure.create({ message: `${provider.name} rate limit reached on this node; retry in ${wait} ms`, type: 'RateLimited', nextRetryDelay: wait });
    }
    try {
      return await g.breaker.execute(() => provider.complete(request, signal));
    } catch (err) {
      if (err instanceof BrokenCircuitError) {
        throw ApplicationFailure.create({ message: `${provider.name} circuit is open after repeated failures`, type: 'CircuitOpen', nextRetryDelay: limits.halfOpenAfterMs });
      }
      throw err;
    }
  };
}

/** A guarded call, as the LLM activity uses it. */
export type ProviderGuard = ReturnType<typeof createProviderGuard>;
