import type { Db } from '../db/client';
import type { LlmProvider } from '../kernel/llm/types';
import { createFinishAgent } from './agent-finish';
import { createLlmStep } from './agent-step';

/** What the activities of a node need from the outside world. */
export interface ActivityDeps {
  db: Db;
  providerFor: (spec: string) => LlmProvider;
}

/** Every activity a node registers, bound to its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    llmStep: createLlmStep(deps.db, deps.providerFor),
    finishAgent: createFinishAgent(deps.db),
  };
}

/** The activity interface workflows proxy (type-only import in workflow code). */
export type KernelActivities = ReturnType<typeof createActivities>;
