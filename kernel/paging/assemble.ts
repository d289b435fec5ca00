import { finish, type Assembly, type PageMeta, type PageReason } from './types';

/** Weights of the blended score: relevance to the current step, recency, importance. */
export interface AssemblyWeights {
  relevance: number;
  recency: number;
  importance: number;
}

/** Knobs of the kernel's assembly policy. */
export interface AssemblyPolicy {
  /** Share of the page budget kept for the most recent pages (the recent window). */
  recentShare: number;
  /** Recency halves every this many steps. */
  halfLifeSteps: number;
  weights: AssemblyWeights;
}

/** Defaults tuned on LoCoMo (bench/locomo.ts). */
export const DEFAULT_ASSEMBLY_POLICY: AssemblyPolicy = {
  recentShare: 0.15,
  halfLifeSteps: 400,
  weights: { relevance: 0.8, recency: 0.1, importance: 0.1 },
};

/** One call's inputs: the budget for pages, every candidate page, and relevance scores (0..1). */
export interface AssemblyInput {
  budget: number;
  pages: readonly PageMeta[];
  /** Relevance of pages to the current step, normalised to 0..1 (absent: 0). */
  relevance: ReadonlyMap<string, number>;
  currentStep: number;
}

/** The blended score of a page. */
export function pageScore(page: PageMeta, relevance: number, currentStep: number, policy: AssemblyPolicy): number {
  const age = Math.max(0, currentStep - page.step);
  const recency = 0.5 ** (age / policy.halfLifeSteps);
  const w = policy.weights;
  return w.relevance * relevance + w.recency * recency + w.importance * page.importance;
}

/**
 * The kernel's working set for one model call, never over `budget` tokens: pinned pages first,
 * then the recent window (newest first, up to `recentShare` of the budget), then the pages with
 * the best blend of relevance, recency and importance (any page that still fits).
 * Returned in chronological order; what is left out is returned as evicted.
 */
export function assemble(input: AssemblyInput, policy: AssemblyPolicy = DEFAULT_ASSEMBLY_POLICY): Assembly {
  const chosen = new Map<string, PageReason>();
  let used = 0;
  const take = (p: PageMeta, why: PageReason): boolean => {
    if (chosen.has(p.id) || used + p.tokens > input.budget) return false;
    chosen.set(p.id, why);
    used += p.tokens;
    return true;
  };
  const newestFirst = [...input.pages].sort((a, b) => b.step - a.step || (a.id < b.id ? 1 : -1));

  for (const p of newestFirst) if (p.pinned) take(p, 'pinned');
  const recentLimit = used + input.budget * policy.recentShare;
  for (const p of newestFirst) {
    if (used >= recentLimit) break;
    if (used + p.tokens <= recentLimit) take(p, 'recent');
  }
  const ranked = input.pages
    .filter((p) => !chosen.has(p.id))
    .map((p) => ({ p, score: pageScore(p, input.relevance.get(p.id) ?? 0, input.currentStep, policy) }))
    .sort((a, b) => b.score - a.score);
  for (const { p } of ranked) if (used < input.budget) take(p, 'ranked');
  return finish(input.pages, chosen);
}
