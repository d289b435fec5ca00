import type { PayloadCodec } from '@temporalio/common';
import type { Config } from '../../kernel/config';
import { KernelError } from '../../kernel/errors';
import { limitsFromConfig, type KernelLimits } from '../../kernel/limits';
import type { AuthSettings } from './authenticate';
import { JwksCache } from './jwks';
import { RateLimiter } from './rate-limit';

/** The API's security settings: how callers authenticate, their rate, allowed origins and tenant caps. */
export interface ApiSecurity {
  auth: AuthSettings;
  limiter: RateLimiter;
  /** Browser origins allowed to make state-changing and codec requests. */
  allowedOrigins: readonly string[];
  /** Live caps: SSE streams a tenant may hold open at once, USD a tenant may spend per UTC day (0: unlimited). */
  limits: KernelLimits;
  /** Streams each tenant holds open now, in this API process. */
  openStreams: Map<string, number>;
  /** The payload codec the codec-server routes run (undefined: payloads are not encrypted). */
  codec: PayloadCodec | undefined;
}

/** JWT sign-in when a JWKS is configured: the issuer and audience are required (a token minted for another app is refused). */
function jwtSettings(config: Config): AuthSettings {
  const { AOS_JWT_JWKS_URL: url, AOS_JWT_ISSUER: issuer, AOS_JWT_AUDIENCE: audience } = config;
  if (!url) return {};
  if (!issuer || !audience) throw new KernelError('invalid_config', 'AOS_JWT_JWKS_URL needs AOS_JWT_ISSUER and AOS_JWT_AUDIENCE: without them a token your identity provider issued for another application would be accepted');
  return { jwt: { jwks: new JwksCache(url), algorithms: config.AOS_JWT_ALGORITHMS, issuer, audience, tenantClaim: config.AOS_JWT_TENANT_CLAIM } };
}

/** Security settings from the configuration; the Temporal UI's origin is allowed (it calls the codec route). */
export function securityFromConfig(config: Config, temporalUiUrl: string | undefined, codec: PayloadCodec | undefined, limits: KernelLimits = limitsFromConfig(config)): ApiSecurity {
  const ui = temporalUiUrl ? [new URL(temporalUiUrl).origin] : [];
  return {
    auth: jwtSettings(config),
    limiter: new RateLimiter(config.AOS_RATE_LIMIT_PER_MINUTE),
    allowedOrigins: [...config.AOS_ALLOWED_ORIGINS, ...ui],
    limits,
    openStreams: new Map(),
    codec,
  };
}
