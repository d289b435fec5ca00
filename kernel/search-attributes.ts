import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Agent name: set by runs started before payload encryption, no longer written (a search attribute is
 * never encrypted, and a name is user text); the workflow id (the agent id) names an agent instead.
 */
export const AGENT_NAME = defineSearchAttributeKey('AgentName', SearchAttributeType.KEYWORD);
/** Lifecycle state (ready, running, completed, …). */
export const AGENT_STATE = defineSearchAttributeKey('AgentState', SearchAttributeType.KEYWORD);
/** Scheduling priority (1 highest … 10 lowest). */
export const AGENT_PRIORITY = defineSearchAttributeKey('AgentPriority', SearchAttributeType.INT);
/** Tenant that owns the agent and pays for it. */
export const AGENT_TENANT = defineSearchAttributeKey('AgentTenant', SearchAttributeType.KEYWORD);
/** Steps taken so far. */
export const AGENT_STEP = defineSearchAttributeKey('AgentStep', SearchAttributeType.INT);
/** The node a pinned agent runs on (set when it is placed or migrated). */
export const AGENT_NODE = defineSearchAttributeKey('AgentNode', SearchAttributeType.KEYWORD);

/** The crew an agent runs for, and the crew workflow itself (filter a crew's parent and children by it). */
export const CREW_ID = defineSearchAttributeKey('CrewId', SearchAttributeType.KEYWORD);

/** Every custom search attribute the kernel uses, with its Temporal type name for registration. */
export const KERNEL_SEARCH_ATTRIBUTES = [
  { name: AGENT_NAME.name, type: 'Keyword' },
  { name: AGENT_STATE.name, type: 'Keyword' },
  { name: AGENT_PRIORITY.name, type: 'Int' },
  { name: AGENT_TENANT.name, type: 'Keyword' },
  { name: AGENT_STEP.name, type: 'Int' },
  { name: AGENT_NODE.name, type: 'Keyword' },
  { name: CREW_ID.name, type: 'Keyword' },
] as const;
