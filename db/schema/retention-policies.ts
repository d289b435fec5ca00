import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Retention: how long one tenant keeps finished agents' content and untagged checkpoints (null: for good). */
export const retentionPolicies = pgTable('retention_policies', {
  tenant: text('tenant').primaryKey(),
  /** Erase a finished agent's content this many days after it finished (as DELETE /agents/:id does). */
  finishedAgentDays: integer('finished_agent_days'),
  /** Delete checkpoints without tags this many days after they were taken (a live agent's newest is kept). */
  checkpointDays: integer('checkpoint_days'),
  updatedBy: text('updated_by').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
