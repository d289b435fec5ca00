import { jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Coordination: a Temporal Schedule the kernel made, and what each of its fires starts (an agent or a crew). */
export const schedules = pgTable('schedules', {
  /** `sched.<slug>-<random>`; also the Temporal Schedule's id. */
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  tenant: text('tenant').notNull(),
  /** The validated schedule as posted: when, how, and the agent or crew it starts. */
  spec: jsonb('spec').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
