import { bigserial, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Streaming: what happens inside an agent (tokens, steps, tool calls), fanned out by LISTEN/NOTIFY. */
export const agentEvents = pgTable(
  'agent_events',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    agentId: text('agent_id').notNull(),
    step: integer('step').notNull(),
    /** step.started | token | step.completed | tool.completed | agent.finished */
    kind: text('kind').notNull(),
    data: jsonb('data').notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('agent_events_agent_seq_idx').on(t.agentId, t.seq)],
);
