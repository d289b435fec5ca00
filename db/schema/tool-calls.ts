import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { agents } from './agents';

/** Tool memory: every tool call an agent made, its decision, arguments and outcome. */
export const toolCalls = pgTable(
  'tool_calls',
  {
    /** `<agentId>:<callId>`; also the idempotency key handed to tools with side effects. */
    id: text('id').primaryKey(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    step: integer('step').notNull(),
    callId: text('call_id').notNull(),
    tool: text('tool').notNull(),
    arguments: jsonb('arguments').notNull(),
    /** succeeded | failed | rejected | refused (not allowed / invalid arguments) */
    status: text('status').notNull(),
    decidedBy: text('decided_by'),
    result: text('result'),
    resultPageId: text('result_page_id'),
    durationMs: integer('duration_ms'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('tool_calls_agent_idx').on(t.agentId, t.step)],
);
