import { bigint, doublePrecision, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** State role: one row per agent process (the registry); live state comes from its workflow. */
export const agents = pgTable(
  'agents',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    role: text('role').notNull(),
    goal: text('goal').notNull(),
    backstory: text('backstory'),
    model: text('model').notNull(),
    tenant: text('tenant').notNull().default('default'),
    priority: integer('priority').notNull().default(5),
    status: text('status').notNull().default('ready'),
    step: integer('step').notNull().default(0),
    maxSteps: integer('max_steps').notNull(),
    parentId: text('parent_id'),
    /** The crew this agent runs for (a node or an item of it), if any. */
    crewId: text('crew_id'),
    workflowId: text('workflow_id').notNull(),
    runId: text('run_id'),
    /** The node the agent is pinned to (its work runs on that node's queue); null: any node. */
    node: text('node'),
    /** Rewinds so far: pages, ledger rows and checkpoints written on abandoned timelines stay, archived. */
    branch: integer('branch').notNull().default(0),
    /**
     * The fencing token: every step or tool attempt takes the next value, and its writes commit only
     * while the value is still its own and the agent is live (a killed agent's late step, or an
     * attempt a retry superseded, is refused in the same transaction).
     */
    fence: bigint('fence', { mode: 'number' }).notNull().default(0),
    /** Why a live agent is held (paused, budget_exhausted, approval, placement), mirrored from its workflow. */
    hold: text('hold'),
    holdDetail: text('hold_detail'),
    /** The tool call waiting for a person's decision, mirrored from the workflow. */
    pendingApproval: jsonb('pending_approval'),
    promptTokens: integer('prompt_tokens').notNull().default(0),
    completionTokens: integer('completion_tokens').notNull().default(0),
    costUsd: doublePrecision('cost_usd').notNull().default(0),
    resultPageId: text('result_page_id'),
    exitReason: text('exit_reason'),
    error: text('error'),
    definition: jsonb('definition').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** Set when the agent's content was erased (DELETE /agents/:id or a retention policy): the row stays as a tombstone for its ledger rows. */
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
    /** Set once its Temporal executions (every run) were deleted too; null while that is pending. */
    historyDeletedAt: timestamp('history_deleted_at', { withTimezone: true }),
  },
  (t) => [index('agents_status_idx').on(t.status), index('agents_tenant_idx').on(t.tenant), index('agents_parent_idx').on(t.parentId), index('agents_crew_idx').on(t.crewId)],
);
