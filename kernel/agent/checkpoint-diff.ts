/** A checkpoint's state as stored. */
export interface CheckpointState {
  step: number;
  status: string;
  priority: number;
  usage: { promptTokens: number; completionTokens: number; costUsd: number };
  budget: { maxTotalTokens: number | null; maxCostUsd: number | null };
  pages: Array<{ id: string; tokens: number; kind: string }>;
}

/** What changed between two checkpoints. */
export interface CheckpointDiff {
  steps: number;
  status: { from: string; to: string } | null;
  priority: { from: number; to: number } | null;
  usage: { promptTokens: number; completionTokens: number; costUsd: number };
  budget: { from: CheckpointState['budget']; to: CheckpointState['budget'] } | null;
  pagesAdded: Array<{ id: string; tokens: number; kind: string }>;
  pagesRemoved: Array<{ id: string; tokens: number; kind: string }>;
}

/** The difference from checkpoint `a` to checkpoint `b`. */
export function diffCheckpoints(a: CheckpointState, b: CheckpointState): CheckpointDiff {
  const before = new Set(a.pages.map((p) => p.id));
  const after = new Set(b.pages.map((p) => p.id));
  const sameBudget = a.budget.maxTotalTokens === b.budget.maxTotalTokens && a.budget.maxCostUsd === b.budget.maxCostUsd;
  return {
    steps: b.step - a.step,
    status: a.status === b.status ? null : { from: a.status, to: b.status },
    priority: a.priority === b.priority ? null : { from: a.priority, to: b.priority },
    usage: {
      promptTokens: b.usage.promptTokens - a.usage.promptTokens,
      completionTokens: b.usage.completionTokens - a.usage.completionTokens,
      costUsd: Math.round((b.usage.costUsd - a.usage.costUsd) * 1e9) / 1e9,
    },
    budget: sameBudget ? null : { from: a.budget, to: b.budget },
    pagesAdded: b.pages.filter((p) => !before.has(p.id)),
    pagesRemoved: a.pages.filter((p) => !after.has(p.id)),
  };
}
