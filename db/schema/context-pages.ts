import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  real,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { agents } from './agents';
import { tsvector } from './tsvector';

/** Memory role: every message, tool result, document chunk, summary and memory is a page. */
export const contextPages = pgTable(
  'context_pages',
  {
    id: text('id').primaryKey(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    /** message | tool_result | document | summary | memory | system */
    kind: text('kind').notNull(),
    /** Chat role for message pages: system | user | assistant | tool. */
    role: text('role').notNull(),
    body: text('body').notNull(),
    tokens: integer('tokens').notNull(),
    importance: real('importance').notNull().default(0.5),
    pinned: boolean('pinned').notNull().default(false),
    /** A superseded page (e.g. a corrected memory): kept for the record, never assembled or recalled. */
    retired: boolean('retired').notNull().default(false),
    /** The step that wrote it and why; (agent, step, purpose) makes writes idempotent. */
    step: integer('step').notNull(),
    purpose: text('purpose').notNull(),
    lastAccessStep: integer('last_access_step').notNull().default(0),
    accessCount: integer('access_count').notNull().default(0),
    /** Copy-on-write lineage: the page this one was derived from (forks share pages). */
    parentPageId: text('parent_page_id'),
    meta: jsonb('meta').notNull().default({}),
    /**
     * A reply's step diagnostics: its context metrics and its prompt's fingerprints (read by the
     * metrics API and by the next step). They grow with the window, so they live apart from `meta`,
     * which every prompt reads: a prompt never decompresses them.
     */
    stepMetrics: jsonb('step_metrics'),
    tsv: tsvector('tsv')
      .notNull()
      .generatedAlwaysAs(sql`to_tsvector('english', body)`),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('context_pages_agent_step_purpose_uq').on(t.agentId, t.step, t.purpose),
    index('context_pages_agent_step_idx').on(t.agentId, t.step),
    index('context_pages_tsv_idx').using('gin', t.tsv),
  ],
);
