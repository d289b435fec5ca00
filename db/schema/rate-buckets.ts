import { doublePrecision, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Coordination role: a token bucket every node shares (a provider's requests or tokens per minute, cluster-wide). */
export const rateBuckets = pgTable('rate_buckets', {
  /** `rpm:<provider>` or `tpm:<provider>`. */
  key: text('key').primaryKey(),
  /** What is left; refilled at capacity per minute up to capacity, from the database's clock. */
  tokens: doublePrecision('tokens').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
