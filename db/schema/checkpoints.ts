import { bigint, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { agents } from './agents';

/** State role: the agent's small state at a step boundary, linked to its workflow run and event. */
export const checkpoints = pgTable(
  'checkpoints',
  {
    id: text('id').primaryKey(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    step: integer('step').notNull(),
    runId: text('run_id').notNull(),
    /** The agent's timeline when it was taken; a rewind abandons the checkpoints after its target. */
    branch: integer('branch').notNull().default(0),
    /** Set when a rewind abandoned this checkpoint's timeline (the rewind's number). */
    abandonedBy: integer('abandoned_by'),
    historyEventId: bigint('history_event_id', { mode: 'number' }),
    state: jsonb('state').notNull(),
    /** Labels an operator gave it (e.g. `release-1`); a tagged checkpoint outlives the retention policy. */
    tags: jsonb('tags').$type<string[]>().notNull().default([]),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('checkpoints_agent_step_run_uq').on(t.agentId, t.step, t.runId),
    index('checkpoints_agent_idx').on(t.agentId),
  ],
);
