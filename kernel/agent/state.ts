import { z } from 'zod';
import type { Budget, Spend } from '../cost/budget';
import type { GpuRequirement } from '../gpu/placement';
import type { PendingApproval, ToolPolicy } from '../tools/policy';
import type { GpuLease, MigrationRequest } from './placement';

/** Lifecycle states of an agent process. */
export const agentStatusSchema = z.enum(['ready', 'running', 'waiting', 'suspended', 'completed', 'failed', 'terminated']);
/** A lifecycle state. */
export type AgentStatus = z.infer<typeof agentStatusSchema>;

/** Why a finished agent stopped. */
export type ExitReason = 'final_answer' | 'max_steps' | 'error' | 'killed';

/** Why a live agent is not running: suspended (paused, out of budget) or waiting (for approval, a node, a durable timer). */
export type HoldReason = 'paused' | 'budget_exhausted' | 'approval' | 'placement' | 'timer' | null;

/** A page as the workflow knows it: a reference and its size, never its body. */
export interface PageRef {
  id: string;
  kind: 'message' | 'tool_result' | 'document' | 'summary' | 'memory' | 'system';
  role: 'system' | 'user' | 'assistant' | 'tool';
  tokens: number;
  step: number;
}

/** Tokens spent so far. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** Adds two spends. */
export function addSpend(a: Spend, b: Spend): Spend {
  return { promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens, costUsd: Math.round((a.costUsd + b.costUsd) * 1e9) / 1e9 };
}

/** Nothing spent. */
export const ZERO_SPEND: Spend = { promptTokens: 0, completionTokens: 0, costUsd: 0 };

/** What `agentWorkflow` starts from: ids, limits and policy only (bodies are in Postgres). */
export interface AgentRunInput {
  agentId: string;
  model: string;
  tenant: string;
  priority: number;
  maxSteps: number;
  maxTokensPerStep: number;
  stepTimeoutMs: number;
  budget: Budget;
  tools: ToolPolicy[];
  /** The provider task queue the LLM calls run on (slots = provider concurrency). */
  llmTaskQueue: string;
  /** A step not picked up within this long is re-queued one priority level higher (aging). */
  agingIntervalMs: number;
  /** The parent agent whose budget this one draws on, if any. */
  parentId: string | null;
  /** The page table so far (the input page on first start; everything on continue-as-new). */
  pages: PageRef[];
  /** Steps already taken (non-zero after continue-as-new). */
  step: number;
  usage: Spend;
  /** Budget lent to children and not yet settled, carried across continue-as-new. */
  childReservations?: Record<string, Budget>;
  /** What finished children spent (it counts against this agent's budget). */
  childUsage?: Spend;
  /** The node this agent is pinned to (its workflow and activities run on that node's queue); null: any node. */
  node?: string | null;
  /** GPU memory the agent's work needs: it runs only on a node with that much free GPU memory. */
  gpu?: GpuRequirement | null;
  /** The GPU reservation this run holds (renewed every step, released when the agent ends). */
  gpuLease?: GpuLease | null;
  /** A placement still to make before the next step (spawned onto a node or a GPU, or a move under way). */
  pendingPlacement?: MigrationRequest | null;
  /** Spend on timelines a rewind abandoned: the tokens were paid for, so they still count. */
  sunkUsage?: Spend;
  /** `kernel`: the agent knows its internal signals only by their `kernel.` names (agents started before had the old names too). */
  signalNames?: 'kernel';
  /** How the agent's entity memory is kept (absent: off — runs started before it existed, and benchmarks). */
  entityMemory?: 'rules' | 'model' | 'off';
  /** The workflow release the run started under (see `kernel/agent/run-version.ts`); absent: a run started before versions. */
  runVersion?: number;
}

/** The live state of an agent, returned by the `state` query. */
export interface AgentSnapshot {
  agentId: string;
  status: AgentStatus;
  hold: HoldReason;
  step: number;
  maxSteps: number;
  model: string;
  priority: number;
  budget: Budget;
  pages: PageRef[];
  usage: Spend;
  pendingApproval: PendingApproval | null;
  /** Why a waiting agent waits, in words (e.g. no GPU has enough free memory). */
  holdDetail: string | null;
  /** The node the agent is pinned to, or null when any node may run it. */
  node: string | null;
  /** The GPU reservation the agent holds, if its work needs a GPU. */
  gpuLease: GpuLease | null;
  resultPageId: string | null;
  exitReason: ExitReason | null;
  error: string | null;
  /** What finished children spent (it counts against this agent's budget). */
  childUsage?: Spend;
  /** Budget lent to children that are still running, by child id. */
  childReservations?: Record<string, Budget>;
  /** What timelines abandoned by rewinds spent (it still counts). */
  sunkUsage?: Spend;
}

/** The state a run starts in: `ready`, at the step, budget, usage, pages and placement its input carries. */
export function startingSnapshot(input: AgentRunInput): AgentSnapshot {
  return {
    agentId: input.agentId,
    status: 'ready',
    hold: null,
    step: input.step,
    maxSteps: input.maxSteps,
    model: input.model,
    priority: input.priority,
    budget: { ...input.budget },
    pages: [...input.pages],
    usage: { ...input.usage },
    pendingApproval: null,
    holdDetail: null,
    node: input.node ?? null,
    gpuLease: input.gpuLease ?? null,
    resultPageId: null,
    exitReason: null,
    error: null,
  };
}

/** The workflow's return value. */
export interface AgentResult {
  agentId: string;
  status: 'completed' | 'failed' | 'terminated';
  exitReason: ExitReason;
  steps: number;
  resultPageId: string | null;
  usage: Spend;
  /** The final answer's first lines (the result page holds it all), so the Temporal UI shows a readable result. */
  answer?: string;
}
