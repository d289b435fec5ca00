import { and, eq, lt, sql } from 'drizzle-orm';
import { LIVE_STATUSES } from '../kernel/agent/lifecycle';
import { appendAuditIn } from './audit';
import type { Db } from './client';
import { agents, checkpoints } from './schema';

/** Deletes one checkpoint of an agent (it can no longer be rewound to or forked from); audited. False when there is none. */
export async function deleteCheckpoint(db: Db, agentId: string, id: string, actor: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const gone = await tx.delete(checkpoints).where(and(eq(checkpoints.agentId, agentId), eq(checkpoints.id, id))).returning({ step: checkpoints.step });
    if (!gone.length) return false;
    await appendAuditIn(tx, { actor, action: 'checkpoint.deleted', subject: agentId, data: { checkpointId: id, step: gone[0]!.step }, idempotencyKey: `checkpoint.deleted:${id}` });
    return true;
  });
}

/** Replaces a checkpoint's tags (sorted, unique); audited with the old and new sets. Undefined when there is no such checkpoint. */
export async function tagCheckpoint(db: Db, agentId: string, id: string, tags: readonly string[], actor: string): Promise<string[] | undefined> {
  const next = [...new Set(tags)].sort();
  return db.transaction(async (tx) => {
    const [row] = await tx.select({ tags: checkpoints.tags }).from(checkpoints).where(and(eq(checkpoints.agentId, agentId), eq(checkpoints.id, id))).for('update');
    if (!row) return undefined;
    await tx.update(checkpoints).set({ tags: next }).where(eq(checkpoints.id, id));
    await appendAuditIn(tx, { actor, action: 'checkpoint.tagged', subject: agentId, data: { checkpointId: id, from: row.tags, to: next }, idempotencyKey: `checkpoint.tagged:${id}:${Date.now()}:${next.join(',')}` });
    return next;
  });
}

/**
 * A retention pass over one tenant's checkpoints: deletes those taken before `before` that carry no
 * tag, keeping each live agent's newest (it is where the agent would be rewound or forked from).
 * Returns how many went.
 */
export async function pruneCheckpoints(db: Db, tenant: string, before: Date): Promise<number> {
  const newestOfLive = sql`(select distinct on (c.agent_id) c.id from ${checkpoints} c join ${agents} a on a.id = c.agent_id
    where a.status in (${sql.join(LIVE_STATUSES.map((s) => sql`${s}`), sql`, `)}) order by c.agent_id, c.step desc, c.created_at desc)`;
  const gone = await db
    .delete(checkpoints)
    .where(
      and(
        lt(checkpoints.createdAt, before),
        sql`${checkpoints.tags} = '[]'::jsonb`,
        sql`${checkpoints.agentId} in (select id from ${agents} where tenant = ${tenant})`,
        sql`${checkpoints.id} not in ${newestOfLive}`,
      ),
    )
    .returning({ id: checkpoints.id });
  return gone.length;
}
