import { bigint, boolean, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Events out: a tenant's URL that receives its events, signed (Standard Webhooks). */
export const webhooks = pgTable('webhooks', {
  id: text('id').primaryKey(),
  tenant: text('tenant').notNull(),
  url: text('url').notNull(),
  /** Event type patterns (`agent.*`, `tool.completed`, `*`). */
  types: jsonb('types').$type<string[]>().notNull(),
  /** The signing secret (`whsec_…`), sealed with the codec key; shown once, at registration. */
  secretSealed: text('secret_sealed').notNull(),
  active: boolean('active').notNull().default(true),
  /** The last event (seq) turned into a delivery: deliveries start after the registration. */
  cursorSeq: bigint('cursor_seq', { mode: 'number' }).notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
