import { doublePrecision, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { agents } from './agents';

/** State role: one row per crew — a DAG of agents run as one durable workflow (the spec, its status, its spend). */
export const crews = pgTable(
  'crews',
  {
    /** `crew.<slug>-<random>`; also the crew workflow's id. */
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    tenant: text('tenant').notNull(),
    /** The validated spec as posted (templates included; the workflow carries only the plan). */
    spec: jsonb('spec').notNull(),
    /** ready | running | completed | failed | cancelled */
    status: text('status').notNull().default('ready'),
    /** Runs so far: a retried node starts run n + 1, reusing what came before it. */
    run: integer('run').notNull().default(1),
    /** `batch` when the crew was posted as a batch (one foreach over given inputs). */
    kind: text('kind').notNull().default('crew'),
    /** The crew (and node) this one was forked from. */
    forkOf: jsonb('fork_of'),
    /** The agent that started this crew with `spawn_crew` (it lent the budget and waits for the answer); null for crews posted to the API. */
    parentAgentId: text('parent_agent_id').references(() => agents.id),
    promptTokens: integer('prompt_tokens').notNull().default(0),
    completionTokens: integer('completion_tokens').notNull().default(0),
    costUsd: doublePrecision('cost_usd').notNull().default(0),
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('crews_tenant_idx').on(t.tenant, t.createdAt), index('crews_parent_agent_idx').on(t.parentAgentId)],
);
