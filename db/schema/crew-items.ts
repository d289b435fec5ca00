import { integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { crews } from './crews';

/** State role: the items a foreach node (or a batch) runs over, each with the agent that ran it. */
export const crewItems = pgTable(
  'crew_items',
  {
    crewId: text('crew_id')
      .notNull()
      .references(() => crews.id, { onDelete: 'cascade' }),
    run: integer('run').notNull(),
    nodeId: text('node_id').notNull(),
    idx: integer('idx').notNull(),
    value: text('value').notNull(),
    agentId: text('agent_id'),
    /** pending | running | completed | failed */
    status: text('status').notNull().default('pending'),
    resultPageId: text('result_page_id'),
  },
  (t) => [primaryKey({ columns: [t.crewId, t.run, t.nodeId, t.idx] })],
);
