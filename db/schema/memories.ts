import { boolean, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { agents } from './agents';

/** Memory role: short-term, long-term and entity memories; a correction supersedes a version. */
export const memories = pgTable(
  'memories',
  {
    id: text('id').primaryKey(),
    agentId: text('agent_id').references(() => agents.id, { onDelete: 'cascade' }),
    /** Crew-shared memories have a crew id and may have no agent. */
    crewId: text('crew_id'),
    /** short | long | entity */
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    content: text('content').notNull(),
    version: integer('version').notNull().default(1),
    supersedesId: text('supersedes_id'),
    /** Written on a timeline a rewind abandoned: kept for the record, no longer current. */
    abandoned: boolean('abandoned').notNull().default(false),
    meta: jsonb('meta').notNull().default({}),
    /** A short-term memory's end (refreshed when recalled); swept once past. Null: it does not expire. */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    /** An entity fact's validity end: when a newer version replaced it (null: still current). Its validity began at createdAt. */
    validUntil: timestamp('valid_until', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('memories_agent_scope_key_idx').on(t.agentId, t.scope, t.key)],
);
