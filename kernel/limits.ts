import type { Config } from './config';

/**
 * The kernel's caps and defaults that change without a restart: one object per process, read at
 * each use and updated in place when a new config version arrives (infra/config/live.ts).
 */
export interface KernelLimits {
  /** Token budget of agents that name no budget (0: none). */
  defaultMaxTotalTokens: number;
  /** Live agents one tenant may have at once (0: no cap). */
  tenantLiveAgentCap: number;
  /** USD one tenant may spend per UTC day (0: no cap). */
  tenantDailyCostCapUsd: number;
  /** Event streams (SSE) one tenant may hold open at once, per API process (0: no cap). */
  tenantEventStreams: number;
}

/** The limits a configuration sets. */
export function limitsFromConfig(config: Pick<Config, 'DEFAULT_MAX_TOTAL_TOKENS' | 'TENANT_MAX_LIVE_AGENTS' | 'TENANT_MAX_COST_USD_PER_DAY' | 'TENANT_MAX_EVENT_STREAMS'>): KernelLimits {
  return {
    defaultMaxTotalTokens: config.DEFAULT_MAX_TOTAL_TOKENS,
    tenantLiveAgentCap: config.TENANT_MAX_LIVE_AGENTS,
    tenantDailyCostCapUsd: config.TENANT_MAX_COST_USD_PER_DAY,
    tenantEventStreams: config.TENANT_MAX_EVENT_STREAMS,
  };
}

/** No caps and no default budget (tests and embedded use that set none). */
export const NO_LIMITS: Readonly<KernelLimits> = Object.freeze({ defaultMaxTotalTokens: 0, tenantLiveAgentCap: 0, tenantDailyCostCapUsd: 0, tenantEventStreams: 0 });
