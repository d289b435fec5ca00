import type { McpHub } from '../activities/tools/mcp/hub';
import type { SecretBox } from '../activities/tools/mcp/secret-box';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import type { PubSub } from '../db/notify';
import type { Logger } from '../infra/logger';
import type { ToolRegistry } from '../activities/tools/registry';
import type { KernelLimits } from '../kernel/limits';

/** What the kernel's control operations need: Temporal, the database, and where things are. */
export interface ControlDeps {
  client: Client;
  db: Db;
  pubsub: PubSub;
  taskQueue: string;
  /** Aging interval handed to new agents' scheduling policy. */
  agingIntervalMs: number;
  /** Caps and defaults that change live (a tenant's live agents, the default token budget); unset: none. */
  limits?: KernelLimits;
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
