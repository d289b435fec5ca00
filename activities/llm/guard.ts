import { ApplicationFailure } from '@temporalio/activity';
import { BrokenCircuitError, circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhen } from 'cockatiel';
import { ProviderError } from '../../kernel/llm/errors';
import type { LlmProvider, LlmRequest, LlmResponse } from '../../kernel/llm/types';
import { TokenBucket } from '../../kernel/scheduling/token-bucket';

/** Per-provider limits: per node, or across the cluster when a shared bucket is given. 0 means unlimited. */
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

/** A bucket every node shares: takes `n` under `key` at `perMinute`; resolves to 0, or the milliseconds to wait. */
export type SharedBucket = (key: string, perMinute: number, n: number) => Promise<number>;

/**
 * Wraps provider calls in rate limits (requests and tokens per minute) and a circuit breaker. With
 * `shared`, the limits hold across every node together (a bucket in Postgres); without, per node.
 */
export function createProviderGuard(limits: GuardLimits = DEFAULT_GUARD_LIMITS, now: () => number = Date.now, shared?: SharedBucket) {
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

  const guarded = async function guarded(provider: LlmProvider, request: LlmRequest, estimatedTokens: number, signal?: AbortSignal): Promise<LlmResponse> {
    const g = guardFor(provider.name);
    let wait: number;
    if (shared) {
      const waitRequests = limits.requestsPerMinute > 0 ? await shared(`rpm:${provider.name}`, limits.requestsPerMinute, 1) : 0;
      wait = waitRequests > 0 ? waitRequests : limits.tokensPerMinute > 0 ? await shared(`tpm:${provider.name}`, limits.tokensPerMinute, estimatedTokens) : 0;
      // A request counted but refused for tokens gives its request back (the next attempt takes it again).
      if (wait > 0 && waitRequests === 0 && limits.requestsPerMinute > 0) await shared(`rpm:${provider.name}`, limits.requestsPerMinute, -1);
    } else {
      const waitRequests = g.requests?.take(1, now()) ?? 0;
      const waitTokens = waitRequests === 0 ? (g.tokens?.take(estimatedTokens, now()) ?? 0) : 0;
      wait = Math.max(waitRequests, waitTokens);
    }
    if (wait > 0) {
      throw ApplicationFailure.create({ message: `${provider.name} rate limit reached${shared ? ' across the cluster' : ' on this node'}; retry in ${wait} ms`, type: 'RateLimited', nextRetryDelay: wait });
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
  return Object.assign(guarded, {
    /** Each provider's circuit on this node, as an operator reads it. */
    states: (): Record<string, BreakerState> => Object.fromEntries([...guards].map(([name, g]) => [name, BREAKER_STATE[g.breaker.state] ?? 'open'])),
  });
}

/** A provider's circuit: closed (calls go through), open (refused until it half-opens), half-open (one call tries). */
export type BreakerState = 'closed' | 'open' | 'half-open';
const BREAKER_STATE: Record<number, BreakerState> = { [CircuitState.Closed]: 'closed', [CircuitState.Open]: 'open', [CircuitState.HalfOpen]: 'half-open', [CircuitState.Isolated]: 'open' };

/** A guarded call, as the LLM activity uses it. */
export type ProviderGuard = (provider: LlmProvider, request: LlmRequest, estimatedTokens: number, signal?: AbortSignal) => Promise<LlmResponse>;
