import { verifyWithJwks } from 'hono/jwt';
import { decodeHeader } from 'hono/utils/jwt/jwt';
import type { JwksCache } from './jwks';
import type { AsymmetricAlgorithm } from 'hono/utils/jwt/jwa';
import { getApiKey, touchApiKey } from '../../db/api-keys';
import type { Db } from '../../db/client';
import { parseKey, secretMatches } from '../../kernel/auth/api-key-token';
import { scopeSchema, type Principal, type Scope } from '../../kernel/auth/scopes';
import { KernelError } from '../../kernel/errors';

/** Tokens from an identity provider: verified against its JWKS with the algorithms pinned. */
export interface JwtSettings {
  jwks: JwksCache;
  algorithms: readonly AsymmetricAlgorithm[];
  issuer: string;
  audience: string;
  /** The claim naming the tenant (required in every token). */
  tenantClaim: string;
}

/** How requests authenticate. */
export interface AuthSettings {
  jwt?: JwtSettings;
}

/** How often a key's `lastUsedAt` is written at most (it is a hint, not a log). */
const TOUCH_EVERY_MS = 60_000;
const touched = new Map<string, number>();

const refuse = (why: string) => new KernelError('unauthorized', why);

/**
 * The principal of an `Authorization: Bearer …` header: an API key (`aok_…`, checked against its
 * stored hash, refused when revoked or expired) or, when configured, a JWT from the identity provider.
 * Every failure is the same kind of 401 and names no key or tenant.
 */
export async function authenticate(db: Db, header: string | undefined, settings: AuthSettings): Promise<Principal> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) throw refuse('this route needs an API key: send `Authorization: Bearer <key>`');
  const token = match[1]!;
  const parts = parseKey(token);
  if (parts) return fromKey(db, parts.id, parts.secret);
  if (settings.jwt && token.split('.').length === 3) return fromJwt(token, settings.jwt);
  throw refuse('the bearer credential is not a valid API key or token');
}

async function fromKey(db: Db, id: string, secret: string): Promise<Principal> {
  const row = await getApiKey(db, id);
  const now = new Date();
  if (!row || !secretMatches(secret, row.secretHash)) throw refuse('the API key is not valid');
  if (row.revokedAt) throw refuse('the API key has been revoked');
  if (row.expiresAt && row.expiresAt <= now) throw refuse('the API key has expired');
  if (now.getTime() - (touched.get(id) ?? 0) > TOUCH_EVERY_MS) {
    touched.set(id, now.getTime());
    await touchApiKey(db, id, now);
  }
  return { actor: `key:${row.id}`, tenant: row.tenant, scopes: row.scopes.filter((s): s is Scope => scopeSchema.safeParse(s).success), agentId: row.agentId, keyId: row.id };
}

async function fromJwt(token: string, jwt: JwtSettings): Promise<Principal> {
  let claims: Record<string, unknown>;
  try {
    const kid = decodeHeader(token).kid;
    claims = await verifyWithJwks(token, { keys: await jwt.jwks.keysFor(kid), allowedAlgorithms: jwt.algorithms, verification: { iss: jwt.issuer, aud: jwt.audience } });
  } catch {
    throw refuse('the token is not valid (signature, algorithm, issuer, audience or expiry)');
  }
  // A token that never expires is refused: the provider must bound every token's life.
  if (typeof claims.exp !== 'number') throw refuse('the token has no expiry (exp)');
  const tenant = claims[jwt.tenantClaim];
  if (typeof tenant !== 'string' || tenant.length === 0 || tenant.length > 80) throw refuse(`the token has no "${jwt.tenantClaim}" claim naming a tenant`);
  const raw = typeof claims.scope === 'string' ? claims.scope.split(' ') : Array.isArray(claims.scopes) ? claims.scopes : [];
  // root is never granted by a token: only a key stored here can hold it.
  const scopes = raw.filter((s): s is Scope => scopeSchema.safeParse(s).success && s !== 'root');
  const subject = typeof claims.sub === 'string' ? claims.sub : 'unknown';
  return { actor: `jwt:${subject}`.slice(0, 200), tenant, scopes, agentId: null, keyId: null };
}
