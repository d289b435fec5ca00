import { randomBytes } from 'node:crypto';
import { and, asc, desc, eq, gt, lt, sql } from 'drizzle-orm';
import { parseTypePatterns } from '../kernel/events/type-filter';
import type { Db } from './client';
import { eventTypeFilter, tenantEventFilter } from './event-filter';
import { agentEvents, webhookDeliveries, webhooks } from './schema';

/** A registered webhook. */
export type WebhookRow = typeof webhooks.$inferSelect;
/** One delivery of the log. */
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;

/** Events this recent may still have a lower-numbered neighbour committing: collected on the next pass. */
const SETTLE_MS = 2_000;

/** Stores a webhook; its deliveries start with the events after now. */
export async function createWebhook(db: Db, w: { tenant: string; url: string; types: string[]; secretSealed: string; createdBy: string }): Promise<WebhookRow> {
  const [last] = await db.select({ seq: agentEvents.seq }).from(agentEvents).orderBy(desc(agentEvents.seq)).limit(1);
  const [row] = await db.insert(webhooks).values({ id: `wh_${randomBytes(9).toString('base64url')}`, ...w, cursorSeq: last?.seq ?? 0 }).returning();
  return row!;
}

/** A tenant's webhooks (every tenant's for null), newest first. */
export async function listWebhooks(db: Db, tenant: string | null): Promise<WebhookRow[]> {
  return db.select().from(webhooks).where(tenant === null ? undefined : eq(webhooks.tenant, tenant)).orderBy(desc(webhooks.createdAt));
}

/** One webhook. */
export async function getWebhook(db: Db, id: string): Promise<WebhookRow | undefined> {
  const [row] = await db.select().from(webhooks).where(eq(webhooks.id, id)).limit(1);
  return row;
}

/** Deletes a webhook and its delivery log. */
export async function deleteWebhook(db: Db, id: string): Promise<boolean> {
  return (await db.delete(webhooks).where(eq(webhooks.id, id)).returning({ id: webhooks.id })).length > 0;
}

/**
 * Turns the webhook's new matching events into deliveries (one per event, keyed so a repeat adds
 * nothing) and advances its cursor, in one transaction; returns the pending deliveries, oldest first.
 * Undefined when the webhook is gone or inactive.
 */
export async function collectDeliveries(db: Db, webhookId: string, batch = 100): Promise<string[] | undefined> {
  return db.transaction(async (tx) => {
    const [hook] = await tx.select().from(webhooks).where(eq(webhooks.id, webhookId)).for('update');
    if (!hook || !hook.active) return undefined;
    const events = await tx
      .select({ seq: agentEvents.seq, kind: agentEvents.kind })
      .from(agentEvents)
      .where(and(gt(agentEvents.seq, hook.cursorSeq), lt(agentEvents.createdAt, new Date(Date.now() - SETTLE_MS)), tenantEventFilter(hook.tenant), eventTypeFilter(parseTypePatterns(hook.types.join(',')))))
      .orderBy(asc(agentEvents.seq))
      .limit(batch);
    if (events.length) {
      await tx.insert(webhookDeliveries).values(events.map((e) => ({ id: `msg_${hook.id}_${e.seq}`, webhookId: hook.id, eventSeq: e.seq, eventType: e.kind }))).onConflictDoNothing();
      await tx.update(webhooks).set({ cursorSeq: events.at(-1)!.seq }).where(eq(webhooks.id, hook.id));
    }
    const pending = await tx.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(and(eq(webhookDeliveries.webhookId, hook.id), eq(webhookDeliveries.status, 'pending'))).orderBy(asc(webhookDeliveries.eventSeq)).limit(batch);
    return pending.map((p) => p.id);
  });
}

/** What one delivery sends: where, signed with what, and the body (the event as the stream shows it). Undefined when it or its webhook is gone. */
export async function deliveryRequest(db: Db, deliveryId: string): Promise<{ url: string; secretSealed: string; body: string; eventGone: boolean } | undefined> {
  const [row] = await db.select({ d: webhookDeliveries, w: webhooks }).from(webhookDeliveries).innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId)).where(eq(webhookDeliveries.id, deliveryId)).limit(1);
  if (!row) return undefined;
  const [event] = await db.select().from(agentEvents).where(eq(agentEvents.seq, row.d.eventSeq)).limit(1);
  const body = event ? JSON.stringify({ type: event.kind, timestamp: event.createdAt.toISOString(), data: { agentId: event.agentId, step: event.step, seq: event.seq, ...(event.data as object) } }) : '';
  return { url: row.w.url, secretSealed: row.w.secretSealed, body, eventGone: !event };
}

/** Records one attempt: delivered (2xx), or the receiver's status / the error, and whether the delivery is given up. */
export async function recordAttempt(db: Db, deliveryId: string, a: { delivered: boolean; status: number | null; error: string | null; failed?: boolean }): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({ attempts: sql`${webhookDeliveries.attempts} + 1`, lastStatus: a.status, lastError: a.error, status: a.delivered ? 'delivered' : a.failed ? 'failed' : sql`${webhookDeliveries.status}`, ...(a.delivered ? { deliveredAt: new Date() } : {}) })
    .where(eq(webhookDeliveries.id, deliveryId));
}

/** Marks a delivery given up (its retries ran out); a manual redelivery may still send it. */
export async function markFailed(db: Db, deliveryId: string, error: string): Promise<void> {
  await db.update(webhookDeliveries).set({ status: 'failed', lastError: error.slice(0, 500) }).where(and(eq(webhookDeliveries.id, deliveryId), sql`${webhookDeliveries.status} <> 'delivered'`));
}

/** A webhook's delivery log, newest first. */
export async function listDeliveries(db: Db, webhookId: string, limit: number): Promise<DeliveryRow[]> {
  return db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, webhookId)).orderBy(desc(webhookDeliveries.eventSeq)).limit(limit);
}

/** One delivery of a webhook. */
export async function getDelivery(db: Db, webhookId: string, id: string): Promise<DeliveryRow | undefined> {
  const [row] = await db.select().from(webhookDeliveries).where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.id, id))).limit(1);
  return row;
}
