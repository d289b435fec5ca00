import { bigint, doublePrecision, index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { agents } from './agents';

/** Accounting: tokens and USD of every model call, per agent and tenant (a step's reply, and any summary written while assembling its prompt). */
export const usageLedger = pgTable(
  'usage_ledger',
  {
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    step: integer('step').notNull(),
    /** The agent's timeline (rewind count) when the step ran: a re-run step after a rewind is billed again. */
    branch: integer('branch').notNull().default(0),
    /** What the tokens paid for: the step's `reply`, or a `summary` of paged-out context written while assembling it. */
    part: text('part').notNull().default('reply'),
    tenant: text('tenant').notNull(),
    model: text('model').notNull(),
    promptTokens: integer('prompt_tokens').notNull(),
    completionTokens: integer('completion_tokens').notNull(),
    /** The parts of `promptTokens` read from and written to the provider's prompt cache, priced apart. */
    cacheReadTokens: integer('cache_read_tokens').notNull().default(0),
    cacheWriteTokens: integer('cache_write_tokens').notNull().default(0),
    /** The part of `completionTokens` spent reasoning. */
    reasoningTokens: integer('reasoning_tokens').notNull().default(0),
    costUsd: doublePrecision('cost_usd').notNull(),
    /**
     * `reserved`: a call in flight holds its estimate here (tokens 0, cost = the estimate), so a
     * tenant's concurrent calls see each other against the daily cap; `billed`: the provider's final
     * usage, priced. Totals and rollups count billed rows only.
     */
    state: text('state').notNull().default('billed'),
    /** What was reserved before the call (null when nothing was): reconciled against `costUsd`. */
    estimatedCostUsd: doublePrecision('estimated_cost_usd'),
    /** The fence of the step attempt holding a reservation: only that attempt may release it. */
    reservedBy: bigint('reserved_by', { mode: 'number' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.agentId, t.branch, t.step, t.part] }), index('usage_ledger_tenant_idx').on(t.tenant, t.createdAt), index('usage_ledger_created_idx').on(t.createdAt)],
);
