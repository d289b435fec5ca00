import type { McpHub } from '../activities/tools/mcp/hub';
import type { SecretBox } from '../activities/tools/mcp/secret-box';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import type { PubSub } from '../db/notify';
import type { Logger } from '../infra/logger';
import type { ToolRegistry } from '../activities/tools/registry';

/** What the kernel's control operations need: Temporal, the database, and where things are. */
export interface ControlDeps {
  client: Client;
  db: Db;
  pubsub: PubSub;
  taskQueue: string;
  /** Aging interval handed to new agents' scheduling policy. */
  agingIntervalMs: number;
  /** Live agents one tenant may have (0 or unset: no cap), checked where every agent is stored. */
  tenantLiveAgentCap?: number;
  /** Token budget of agents that name no budget (0 or unset: none). */
  defaultMaxTotalTokens?: number;
  /** Default model for agents that name none. */
  defaultModel: string;
  /** Temporal Web UI base URL, for links; undefined when unknown. */
  temporalUiUrl: string | undefined;
  logger: Logger;
  /** The tools agents may be allowed (the same registry the node runs). */
  tools: ToolRegistry;
  /** This process's MCP connections (the API lists a server's tools when it is registered). */
  mcp: McpHub;
  /** Seals MCP servers' secrets at rest. */
  secrets: SecretBox;
}
