import { desc, sql } from 'drizzle-orm';
import { isSecretKey } from '../kernel/config';
import { appendAuditIn } from './audit';
import type { Db } from './client';
import { configVersions } from './schema';

/** Where a new config version is announced (every process listens). */
export const CONFIG_CHANNEL = 'aok_config';
/** One lock for publishing versions, so two processes reading the same change store it once. */
const CONFIG_LOCK = 7_310_441;

/** The newest config version, if any. */
export async function latestConfigVersion(db: Db): Promise<typeof configVersions.$inferSelect | undefined> {
  const [row] = await db.select().from(configVersions).orderBy(desc(configVersions.version)).limit(1);
  return row;
}

/** The keys whose values differ between two versions, with secrets' values hidden. */
export function configDiff(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): Record<string, { from: string | null; to: string | null }> {
  const show = (k: string, v: string | undefined) => (v === undefined ? null : isSecretKey(k) ? '(secret)' : v);
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return Object.fromEntries(keys.filter((k) => before[k] !== after[k]).map((k) => [k, { from: show(k, before[k]), to: show(k, after[k]) }]));
}

/**
 * Stores the live settings read from a file as a new version when they differ from the newest one
 * (under one lock, so the same change read by several processes is stored once), audited with its
 * diff; returns the new version, or undefined when nothing changed.
 */
export async function publishConfigVersion(db: Db, values: Record<string, string>, source: string, createdBy: string): Promise<number | undefined> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${CONFIG_LOCK})`);
    const latest = await latestConfigVersion(tx);
    const diff = configDiff(latest?.values ?? {}, values);
    if (latest && Object.keys(diff).length === 0) return undefined;
    const [row] = await tx.insert(configVersions).values({ values, source, createdBy }).returning({ version: configVersions.version });
    await appendAuditIn(tx, { actor: createdBy, action: 'config.changed', subject: `config:${row!.version}`, data: { source, diff }, idempotencyKey: `config.changed:${row!.version}` });
    return row!.version;
  });
}
