import type { PayloadCodec } from '@temporalio/common';
import type { Config } from '../../kernel/config';
import type { AuthSettings } from './authenticate';
import { RateLimiter } from './rate-limit';

/** The API's security settings: how callers authenticate, their rate, allowed origins and tenant caps. */
export interface ApiSecurity {
  auth: AuthSettings;
  limiter: RateLimiter;
  /** Browser origins allowed to make state-changing and codec requests. */
  allowedOrigins: readonly string[];
  /** Agents a tenant may have live at once (0: unlimited). */
  maxLiveAgents: number;
  /** SSE streams a tenant may hold open at once (0: unlimited). */
  maxEventStreams: number;
  /** USD a tenant may spend per UTC day (0: unlimited). */
  maxCostUsdPerDay: number;
  /** The payload codec the codec-server routes run (undefined: payloads are not encrypted). */
  codec: PayloadCodec | undefined;
}

/** Security settings from the configuration; the Temporal UI's origin is allowed (it calls the codec route). */
export function securityFromConfig(config: Config, temporalUiUrl: string | undefined, codec: PayloadCodec | undefined): ApiSecurity {
  const ui = temporalUiUrl ? [new URL(temporalUiUrl).origin] : [];
  return {
    auth: config.AOS_JWT_JWKS_URL
      ? { jwt: { jwksUrl: config.AOS_JWT_JWKS_URL, algorithms: config.AOS_JWT_ALGORITHMS, issuer: config.AOS_JWT_ISSUER, audience: config.AOS_JWT_AUDIENCE, tenantClaim: config.AOS_JWT_TENANT_CLAIM } }
      : {},
    limiter: new RateLimiter(config.AOS_RATE_LIMIT_PER_MINUTE),
    allowedOrigins: [...config.AOS_ALLOWED_ORIGINS, ...ui],
    maxLiveAgents: config.TENANT_MAX_LIVE_AGENTS,
    maxEventStreams: config.TENANT_MAX_EVENT_STREAMS,
    maxCostUsdPerDay: config.TENANT_MAX_COST_USD_PER_DAY,
    codec,
  };
}
