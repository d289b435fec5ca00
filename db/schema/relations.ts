import { relations } from 'drizzle-orm';
import { agents } from './agents';
import { checkpoints } from './checkpoints';
import { contextPages } from './context-pages';
import { memories } from './memories';
import { toolCalls } from './tool-calls';
import { usageLedger } from './usage-ledger';
import { crews } from './crews';
import { crewNodes } from './crew-nodes';
import { crewItems } from './crew-items';

/** An agent owns its pages, checkpoints and memories; a child agent points at its parent, a sub-crew at the agent that started it. */
export const agentsRelations = relations(agents, ({ many, one }) => ({
  pages: many(contextPages),
  checkpoints: many(checkpoints),
  memories: many(memories),
  toolCalls: many(toolCalls),
  usage: many(usageLedger),
  parent: one(agents, { fields: [agents.parentId], references: [agents.id], relationName: 'lineage' }),
  crew: one(crews, { fields: [agents.crewId], references: [crews.id] }),
  subCrews: many(crews, { relationName: 'subCrews' }),
}));

/** A page belongs to one agent. */
export const contextPagesRelations = relations(contextPages, ({ one }) => ({
  agent: one(agents, { fields: [contextPages.agentId], references: [agents.id] }),
}));

/** A checkpoint belongs to one agent. */
export const checkpointsRelations = relations(checkpoints, ({ one }) => ({
  agent: one(agents, { fields: [checkpoints.agentId], references: [agents.id] }),
}));

/** A memory belongs to one agent (or to a crew). */
export const memoriesRelations = relations(memories, ({ one }) => ({
  agent: one(agents, { fields: [memories.agentId], references: [agents.id] }),
}));

/** A tool call belongs to one agent. */
export const toolCallsRelations = relations(toolCalls, ({ one }) => ({
  agent: one(agents, { fields: [toolCalls.agentId], references: [agents.id] }),
}));

/** A ledger row belongs to one agent. */
export const usageLedgerRelations = relations(usageLedger, ({ one }) => ({
  agent: one(agents, { fields: [usageLedger.agentId], references: [agents.id] }),
}));

/** A crew has nodes per run, items per foreach, and the agents it spawned. */
export const crewsRelations = relations(crews, ({ many, one }) => ({
  nodes: many(crewNodes),
  items: many(crewItems),
  agents: many(agents),
  /** The agent that started the crew with `spawn_crew`, if one did. */
  parentAgent: one(agents, { fields: [crews.parentAgentId], references: [agents.id], relationName: 'subCrews' }),
}));

/** A crew node belongs to one crew. */
export const crewNodesRelations = relations(crewNodes, ({ one }) => ({
  crew: one(crews, { fields: [crewNodes.crewId], references: [crews.id] }),
}));

/** A crew item belongs to one crew. */
export const crewItemsRelations = relations(crewItems, ({ one }) => ({
  crew: one(crews, { fields: [crewItems.crewId], references: [crews.id] }),
}));
