import { and, desc, eq, isNull, ne } from 'drizzle-orm';
import { formatKey, hashSecret, newKeyParts, parseKey } from '../kernel/auth/api-key-token';
import type { Scope } from '../kernel/auth/scopes';
import { KernelError } from '../kernel/errors';
import { appendAudit } from './audit';
import type { Db } from './client';
import { apiKeys } from './schema';

/** An API key's row (never holds the secret). */
export type ApiKeyRow = typeof apiKeys.$inferSelect;

/** What a new key is for. */
export interface NewKey {
  tenant: string;
  name: string;
  scopes: readonly Scope[];
  agentId?: string | null;
  expiresAt?: Date | null;
  createdBy: string;
  rotatedFrom?: string | null;
}

/** Stores a new key and returns its row and the key string (shown once, never stored). */
export async function createApiKey(db: Db, key: NewKey): Promise<{ row: ApiKeyRow; token: string }> {
  const parts = newKeyParts();
  const [row] = await db
    .insert(apiKeys)
    .values({ id: parts.id, tenant: key.tenant, name: key.name, scopes: [...key.scopes], agentId: key.agentId ?? null, secretHash: hashSecret(parts.secret), createdBy: key.createdBy, rotatedFrom: key.rotatedFrom ?? null, expiresAt: key.expiresAt ?? null })
    .returning();
  return { row: row!, token: formatKey(parts) };
}

/** A key's row by id. */
export async function getApiKey(db: Db, id: string): Promise<ApiKeyRow | undefined> {
  return (await db.select().from(apiKeys).where(eq(apiKeys.id, id)).limit(1))[0];
}

/** The keys of a tenant (or every tenant), newest first. */
export async function listApiKeys(db: Db, tenant: string | null): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).where(tenant === null ? undefined : eq(apiKeys.tenant, tenant)).orderBy(desc(apiKeys.createdAt));
}

/** Revokes a key (from now on it is refused): the row when this call revoked it, undefined when it already was. */
export async function revokeApiKey(db: Db, id: string): Promise<ApiKeyRow | undefined> {
  return (await db.update(apiKeys).set({ revokedAt: new Date() }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).returning())[0];
}

/** Records that a key was used (the caller throttles how often). */
export async function touchApiKey(db: Db, id: string, at: Date): Promise<void> {
  await db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id));
}

/**
 * Makes sure a root key exists: `token` (AOS_BOOTSTRAP_KEY) is stored as the root key of tenant
 * `default` and takes over — any other bootstrap key is revoked, and a configured key that has been
 * revoked stops the start (it is never revived). Without one, a root key is created when none is
 * live and its string is returned (the caller prints it once), else null.
 */
export async function ensureBootstrapKey(db: Db, token: string | undefined): Promise<string | null> {
  if (token) {
    const parts = parseKey(token);
    if (!parts) throw new KernelError('invalid_config', 'AOS_BOOTSTRAP_KEY is not an API key: expected aok_<12 lowercase letters or digits>_<43 base64url characters> (create one with `bun bin/new-key.ts`)');
    // Replicas starting at once insert it once; then every one checks what is stored.
    await db.insert(apiKeys).values({ id: parts.id, tenant: 'default', name: 'bootstrap', scopes: ['root'], secretHash: hashSecret(parts.secret), createdBy: 'bootstrap' }).onConflictDoNothing();
    const stored = await getApiKey(db, parts.id);
    if (stored?.revokedAt) throw new KernelError('invalid_config', `AOS_BOOTSTRAP_KEY (key ${parts.id}) has been revoked; set a new one (bun bin/new-key.ts)`);
    if (!stored || stored.secretHash !== hashSecret(parts.secret)) throw new KernelError('invalid_config', `AOS_BOOTSTRAP_KEY names key ${parts.id}, whose stored secret differs; set a new key`);
    const revoked = await db.update(apiKeys).set({ revokedAt: new Date() }).where(and(eq(apiKeys.createdBy, 'bootstrap'), ne(apiKeys.id, parts.id), isNull(apiKeys.revokedAt))).returning({ id: apiKeys.id });
    await appendAudit(db, { actor: 'bootstrap', action: 'key.bootstrapped', subject: `key:${parts.id}`, data: { tenant: 'default', revoked: revoked.map((k) => k.id) }, idempotencyKey: `key.bootstrap:${parts.id}:${revoked.map((k) => k.id).join(',')}` });
    return null;
  }
  const live = await db.select({ id: apiKeys.id, scopes: apiKeys.scopes }).from(apiKeys).where(isNull(apiKeys.revokedAt));
  if (live.some((k) => k.scopes.includes('root'))) return null;
  const created = await createApiKey(db, { tenant: 'default', name: 'bootstrap', scopes: ['root'], createdBy: 'bootstrap' });
  await appendAudit(db, { actor: 'bootstrap', action: 'key.created', subject: `key:${created.row.id}`, data: { tenant: 'default', scopes: created.row.scopes, agentId: null }, idempotencyKey: `key.create:${created.row.id}` });
  return created.token;
}
