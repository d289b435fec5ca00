import { doublePrecision, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { crews } from './crews';

/** State role: where each node of each crew run stands — its agent, timings, spend and result reference. */
export const crewNodes = pgTable(
  'crew_nodes',
  {
    crewId: text('crew_id')
      .notNull()
      .references(() => crews.id, { onDelete: 'cascade' }),
    run: integer('run').notNull(),
    nodeId: text('node_id').notNull(),
    kind: text('kind').notNull(),
    /** pending | running | waiting | completed | failed | skipped */
    status: text('status').notNull().default('pending'),
    attempt: integer('attempt').notNull().default(0),
    /** The agent that ran it (the latest attempt), for agent nodes. */
    agentId: text('agent_id'),
    /** The page holding its result (bodies stay in Postgres; this is a reference). */
    resultPageId: text('result_page_id'),
    /** The fallback node whose result stands for this one, or the run it was reused from. */
    via: text('via'),
    items: integer('items'),
    itemsCompleted: integer('items_completed'),
    itemsFailed: integer('items_failed'),
    promptTokens: integer('prompt_tokens').notNull().default(0),
    completionTokens: integer('completion_tokens').notNull().default(0),
    costUsd: doublePrecision('cost_usd').notNull().default(0),
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.crewId, t.run, t.nodeId] })],
);
