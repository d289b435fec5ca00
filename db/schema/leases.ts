import { jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Coordination role: a time-bounded claim on a resource (a GPU, a migration) by one holder. */
export const leases = pgTable('leases', {
  resource: text('resource').primaryKey(),
  holder: text('holder').notNull(),
  data: jsonb('data').notNull().default({}),
  acquiredAt: timestamp('acquired_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});
