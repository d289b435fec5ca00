import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from './client';
import { idempotencyKeys } from './schema';

/** How long a key's answer is kept (a client retries within this). */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** A claim still unanswered after this long was abandoned (its process died mid-request): the next request with the key runs. */
export const ABANDONED_CLAIM_MS = 2 * 60_000;

/** What claiming a key found: it is ours to answer, or an earlier answer (same request), or a conflict. */
export type Claim =
  | { kind: 'claimed' }
  | { kind: 'replay'; status: number; body: unknown; location: string | null }
  | { kind: 'in_progress' }
  | { kind: 'mismatch' };

/**
 * Claims `key` for a request (by its hash), or finds what an earlier request with it got. Keys older
 * than the TTL, and claims never answered within {@link ABANDONED_CLAIM_MS}, are taken afresh.
 */
export async function claimKey(db: Db, tenant: string, key: string, requestHash: string, now = new Date()): Promise<Claim> {
  const expired = or(lt(idempotencyKeys.createdAt, new Date(now.getTime() - IDEMPOTENCY_TTL_MS)), and(isNull(idempotencyKeys.status), lt(idempotencyKeys.createdAt, new Date(now.getTime() - ABANDONED_CLAIM_MS))));
  await db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.tenant, tenant), eq(idempotencyKeys.key, key), expired));
  const inserted = await db.insert(idempotencyKeys).values({ tenant, key, requestHash }).onConflictDoNothing().returning({ key: idempotencyKeys.key });
  if (inserted.length) return { kind: 'claimed' };
  const [row] = await db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.tenant, tenant), eq(idempotencyKeys.key, key))).limit(1);
  if (!row) return claimKey(db, tenant, key, requestHash, now);
  if (row.requestHash !== requestHash) return { kind: 'mismatch' };
  if (row.status === null) return { kind: 'in_progress' };
  return { kind: 'replay', status: row.status, body: row.body, location: row.location };
}

/** Stores the answer a claimed key got. */
export async function completeKey(db: Db, tenant: string, key: string, answer: { status: number; body: unknown; location: string | null }): Promise<void> {
  await db.update(idempotencyKeys).set({ status: answer.status, body: sql`${JSON.stringify(answer.body)}::jsonb`, location: answer.location }).where(and(eq(idempotencyKeys.tenant, tenant), eq(idempotencyKeys.key, key)));
}

/** Releases a claimed key whose request failed on the server's side (a retry may run it again). */
export async function releaseKey(db: Db, tenant: string, key: string): Promise<void> {
  await db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.tenant, tenant), eq(idempotencyKeys.key, key)));
}
