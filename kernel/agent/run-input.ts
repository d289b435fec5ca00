import { llmTaskQueue } from '../llm/task-queue';
import { RUN_VERSION } from './run-version';
import { ZERO_SPEND, type AgentRunInput, type PageRef } from './state';

/** The essentials of a run; everything else takes the spawn defaults. */
export interface RunInputEssentials {
  agentId: string;
  model: string;
  taskQueue: string;
  pages: PageRef[];
  maxSteps?: number;
}

/** A complete `agentWorkflow` input with spawn defaults (benchmarks and tests that start runs directly). */
export function agentRunInput(e: RunInputEssentials, overrides: Partial<AgentRunInput> = {}): AgentRunInput {
  return {
    agentId: e.agentId,
    model: e.model,
    tenant: 'default',
    priority: 5,
    maxSteps: e.maxSteps ?? 8,
    maxTokensPerStep: 256,
    stepTimeoutMs: 300_000,
    budget: { maxTotalTokens: null, maxCostUsd: null },
    tools: [],
    llmTaskQueue: llmTaskQueue(e.taskQueue, e.model),
    agingIntervalMs: 30_000,
    parentId: null,
    pages: e.pages,
    step: 0,
    usage: ZERO_SPEND,
    signalNames: 'kernel',
    runVersion: RUN_VERSION,
    ...overrides,
  };
}
