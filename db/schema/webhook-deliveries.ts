import { bigint, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { webhooks } from './webhooks';

/** The delivery log: one row per event per webhook — its attempts, the receiver's last answer, and when it arrived. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    /** `msg_<webhook>_<seq>`: the `webhook-id` header, the same on every attempt and redelivery (receivers deduplicate by it). */
    id: text('id').primaryKey(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    eventSeq: bigint('event_seq', { mode: 'number' }).notNull(),
    eventType: text('event_type').notNull(),
    /** pending | delivered | failed */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** The receiver's last HTTP status (null: no answer). */
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  },
  (t) => [index('webhook_deliveries_webhook_idx').on(t.webhookId, t.eventSeq)],
);
