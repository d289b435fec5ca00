import { createHash } from 'node:crypto';
import { gt, sql } from 'drizzle-orm';
import { canonicalJson } from '../kernel/canonical-json';
import type { Db } from './client';
import { rowsOf } from './raw-rows';
import { auditLog } from './schema';

/** One audit event to append. */
export interface AuditEntry {
  actor: string;
  action: string;
  subject: string;
  data?: Record<string, unknown>;
  /** The same key twice appends once (retried activities, replayed requests). */
  idempotencyKey: string;
}

const GENESIS = '0'.repeat(64);
/** Serialises appenders so the hash chain never forks. */
const AUDIT_LOCK = 0x4a05_0002;

/** The hash of an entry chained to the previous hash. */
export function auditHash(prevHash: string, entry: Required<Omit<AuditEntry, 'idempotencyKey'>> & { at: string }): string {
  return createHash('sha256')
    .update(prevHash)
    .update(canonicalJson([entry.at, entry.actor, entry.action, entry.subject, entry.data]))
    .digest('hex');
}

/** Appends an event to the hash-chained, append-only audit log (idempotent by key), in a transaction of its own. */
export async function appendAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.transaction((tx) => appendAuditIn(tx, entry));
}

/**
 * {@link appendAudit} inside the caller's transaction `tx` (no savepoint): the chain's lock is held
 * until that transaction ends, so the entry commits (or not) with what it records.
 */
export async function appendAuditIn(tx: Db, entry: AuditEntry): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_LOCK})`);
  // Under the lock, in one statement: whether the key was appended before, and the chain's last hash.
  const [row] = rowsOf<{ seen: boolean; last: string | null }>(await tx.execute(sql`
    select exists (select 1 from ${auditLog} where ${auditLog.idempotencyKey} = ${entry.idempotencyKey}) as seen,
      (select ${auditLog.hash} from ${auditLog} order by ${auditLog.seq} desc limit 1) as last`));
  if (row?.seen) return;
  const prevHash = row?.last ?? GENESIS;
  const at = new Date();
  const data = entry.data ?? {};
  const hash = auditHash(prevHash, { at: at.toISOString(), actor: entry.actor, action: entry.action, subject: entry.subject, data });
  await tx.insert(auditLog).values({ at, actor: entry.actor, action: entry.action, subject: entry.subject, data, idempotencyKey: entry.idempotencyKey, prevHash, hash });
}

/** What a walk of the whole chain found: rows checked and the first broken one (null when intact). */
export interface AuditVerification {
  rows: number;
  firstBrokenSeq: number | null;
  /** Why that row is broken: its hash does not match its content, or it does not chain to the row before. */
  reason: 'hash_mismatch' | 'chain_broken' | null;
}

const VERIFY_BATCH = 5_000;

/** Re-computes the chain end to end, in batches (memory stays flat however long the log). */
export async function verifyAudit(db: Db): Promise<AuditVerification> {
  let prev = GENESIS;
  let after = 0;
  let rows = 0;
  for (;;) {
    const batch = await db.select().from(auditLog).where(gt(auditLog.seq, after)).orderBy(auditLog.seq).limit(VERIFY_BATCH);
    for (const row of batch) {
      rows++;
      if (row.prevHash !== prev) return { rows, firstBrokenSeq: row.seq, reason: 'chain_broken' };
      const expected = auditHash(prev, { at: row.at.toISOString(), actor: row.actor, action: row.action, subject: row.subject, data: row.data as Record<string, unknown> });
      if (row.hash !== expected) return { rows, firstBrokenSeq: row.seq, reason: 'hash_mismatch' };
      prev = row.hash;
    }
    if (batch.length < VERIFY_BATCH) return { rows, firstBrokenSeq: null, reason: null };
    after = batch[batch.length - 1]!.seq;
  }
}

/** Re-computes the chain; returns the first broken sequence number, or null when intact. */
export async function verifyAuditChain(db: Db): Promise<number | null> {
  return (await verifyAudit(db)).firstBrokenSeq;
}
