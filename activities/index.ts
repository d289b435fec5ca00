import type { Db } from '../db/client';
import type { PubSub } from '../db/notify';
import type { LlmProvider } from '../kernel/llm/types';
import type { KernelLimits } from '../kernel/limits';
import { createFinishAgent, createRecordHold } from './agent-finish';
import { createLlmStep } from './agent-step';
import type { PressureThresholds } from './context/build-context';
import type { VectorRetrieval } from '../db/retrieval';
import { createProviderGuard, type ProviderGuard } from './llm/guard';
import { createPlaceAgent } from './placement';
import { createRunTool } from './run-tool';
import { createCrewActivities } from './crew';
import { createScheduledRun } from './scheduled-run';
import { createMemorySweep } from './memory-sweep';
import { createRetention } from './retention';
import { waitingForDatabase } from './database-wait';
import { createWebhookActivities } from './webhooks';
import type { SecretBox } from './tools/mcp/secret-box';
import { createEntityExtraction } from './entities';
import { builtinTools } from './tools/builtin';
import type { ToolRegistry } from './tools/registry';
import type { McpHub } from './tools/mcp/hub';

/** What the activities of a node need from the outside world. */
export interface ActivityDeps {
  db: Db;
  pubsub: PubSub;
  providerFor: (spec: string) => LlmProvider;
  /** Defaults to the built-in tools. */
  tools?: ToolRegistry;
  /** Defaults to no rate limit and a 5-failure circuit breaker per provider. */
  guard?: ProviderGuard;
  /** Memory-pressure thresholds; defaults to warn at 70%, flush (summarise) at 100%. */
  pressure?: PressureThresholds;
  /** Vector retrieval (only where pgvector exists and embeddings are configured). */
  vectors?: VectorRetrieval;
  /** The shared task queue (placement derives node queues from it). */
  taskQueue: string;
  /** This node's id (recorded on step events, so a migration can be seen). */
  nodeId?: string;
  /** How long a GPU reservation lives without renewal; defaults to 2 minutes. */
  gpuLeaseMs?: number;
  /** The model agents get when they name none (crews spawn agents); defaults to `scripted`. */
  defaultModel?: string;
  /** Aging interval handed to agents a crew spawns; defaults to 30 s. */
  agingIntervalMs?: number;
  /** Caps and defaults that change live (a tenant's live agents and daily USD, the default token budget); unset: none. */
  limits?: KernelLimits;
  /** Opens webhook secrets (the codec keys); unset: webhooks cannot be delivered from this node. */
  secrets?: SecretBox;
  /** This node's MCP connections (tools named `server.tool`; unset: MCP tools fail with a sentence). */
  mcp?: McpHub;
}

/** Every activity a node registers, bound to its dependencies. */
export function createActivities(deps: ActivityDeps) {
  const tools = deps.tools ?? builtinTools();
  const guard = deps.guard ?? createProviderGuard();
  const gpuLeaseMs = deps.gpuLeaseMs ?? 120_000;
  return {
    llmStep: createLlmStep({ ...deps, tools, guard, gpuLeaseMs, pressure: deps.pressure ?? { warn: 0.7, flush: 1 } }),
    // These wait out a database outage inside their attempt (each is idempotent), like the step does.
    placeAgent: waitingForDatabase(createPlaceAgent({ ...deps, gpuLeaseMs })),
    runTool: waitingForDatabase(createRunTool({ ...deps, tools })),
    finishAgent: waitingForDatabase(createFinishAgent(deps.db)),
    recordHold: waitingForDatabase(createRecordHold(deps.db, deps.pubsub)),
    ...createCrewActivities({ db: deps.db, pubsub: deps.pubsub, tools, taskQueue: deps.taskQueue, defaultModel: deps.defaultModel ?? 'scripted', agingIntervalMs: deps.agingIntervalMs ?? 30_000, limits: deps.limits }),
    ...createMemorySweep(deps.db),
    ...createRetention(deps.db),
    ...createWebhookActivities({ db: deps.db, secrets: deps.secrets }),
    ...createEntityExtraction({ db: deps.db, pubsub: deps.pubsub, providerFor: deps.providerFor, guard }),
    ...createScheduledRun({ db: deps.db, tools, taskQueue: deps.taskQueue, defaultModel: deps.defaultModel ?? 'scripted', agingIntervalMs: deps.agingIntervalMs ?? 30_000, limits: deps.limits }),
  };
}

/** The activity interface workflows proxy (type-only import in workflow code). */
export type KernelActivities = ReturnType<typeof createActivities>;
