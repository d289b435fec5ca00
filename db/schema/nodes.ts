import { jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Coordination role: every `bun run worker` process registers as a node with a heartbeat lease. */
export const nodes = pgTable('nodes', {
  id: text('id').primaryKey(),
  hostname: text('hostname').notNull(),
  taskQueue: text('task_queue').notNull(),
  status: text('status').notNull().default('alive'),
  capabilities: jsonb('capabilities').notNull().default({}),
  gpus: jsonb('gpus').notNull().default([]),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }).notNull().defaultNow(),
  leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }).notNull(),
});
