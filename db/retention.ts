import { eq } from 'drizzle-orm';
import { appendAuditIn } from './audit';
import type { Db } from './client';
import { retentionPolicies } from './schema';

/** One tenant's retention policy (null days: kept for good). */
export type RetentionPolicy = typeof retentionPolicies.$inferSelect;

/** A tenant's policy, or undefined when it has none (nothing is deleted by age). */
export async function getRetention(db: Db, tenant: string): Promise<RetentionPolicy | undefined> {
  const [row] = await db.select().from(retentionPolicies).where(eq(retentionPolicies.tenant, tenant)).limit(1);
  return row;
}

/** Every tenant's policy (what the retention schedule applies). */
export async function listRetention(db: Db): Promise<RetentionPolicy[]> {
  return db.select().from(retentionPolicies);
}

/** Sets a tenant's policy (upsert), audited with the old and new values. */
export async function setRetention(db: Db, tenant: string, policy: { finishedAgentDays: number | null; checkpointDays: number | null }, actor: string): Promise<RetentionPolicy> {
  return db.transaction(async (tx) => {
    const before = await getRetention(tx, tenant);
    const [row] = await tx
      .insert(retentionPolicies)
      .values({ tenant, ...policy, updatedBy: actor })
      .onConflictDoUpdate({ target: retentionPolicies.tenant, set: { ...policy, updatedBy: actor, updatedAt: new Date() } })
      .returning();
    const from = before ? { finishedAgentDays: before.finishedAgentDays, checkpointDays: before.checkpointDays } : null;
    await appendAuditIn(tx, { actor, action: 'retention.set', subject: tenant, data: { from, to: policy }, idempotencyKey: `retention.set:${tenant}:${row!.updatedAt.toISOString()}` });
    return row!;
  });
}
