import { integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Accounting: how a provider's token counts compare with the kernel's, per model. Each call that
 * reports usage adds the ratio billed ÷ counted of its prompt; the recent ratios set the margin the
 * budget reserves a prompt with (kernel/cost/budget.ts, promptMargin).
 */
export const modelCalibration = pgTable('model_calibration', {
  model: text('model').primaryKey(),
  /** The most recent ratios, newest last (at most 20). */
  ratios: jsonb('ratios').$type<number[]>().notNull().default([]),
  samples: integer('samples').notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
