/** How pages are ranked against a focus text: BM25 weights and how far a hit lends relevance to its neighbours. */
export interface RetrievalPolicy {
  /** BM25 term-frequency saturation (binary term frequency: only the length factor uses it). */
  k1: number;
  /** BM25 length normalisation: 0 ignores a page's length, 1 divides fully by it. */
  b: number;
  /** A hit lends relevance to pages of its owner up to this many steps before and after it. */
  neighbourSteps: number;
  /** What a neighbour at distance d inherits: decay^d of the hit's relevance. */
  neighbourDecay: number;
}

/** Defaults tuned on LoCoMo (bench/locomo.ts; in-sample, per-conversation spread in the results). */
export const DEFAULT_RETRIEVAL_POLICY: RetrievalPolicy = { k1: 1.2, b: 0.5, neighbourSteps: 2, neighbourDecay: 0.6 };

/** A ranked page or one of its neighbours, as the spreading needs it. */
export interface RankedRow {
  id: string;
  /** The agent (or crew record) that owns the page: steps are only adjacent within one owner. */
  owner: string;
  step: number;
  /** Normalised relevance 0..1 of a hit; null for a page fetched only as a hit's neighbour. */
  relevance: number | null;
}

/**
 * Relevance with neighbours: every page keeps the best of its own relevance and decay^d of any hit
 * of the same owner d steps away (d ≥ 1; another page of the hit's own step counts as d = 1). In a
 * conversation the answer often sits in the turn beside the one that shares the question's words.
 */
export function spreadToNeighbours(rows: readonly RankedRow[], policy: RetrievalPolicy = DEFAULT_RETRIEVAL_POLICY): Map<string, number> {
  const out = new Map<string, number>();
  const hitsByOwner = new Map<string, RankedRow[]>();
  for (const r of rows) {
    if (r.relevance === null) continue;
    out.set(r.id, Math.max(out.get(r.id) ?? 0, r.relevance));
    (hitsByOwner.get(r.owner) ?? hitsByOwner.set(r.owner, []).get(r.owner)!).push(r);
  }
  if (policy.neighbourSteps <= 0) return out;
  for (const r of rows) {
    for (const hit of hitsByOwner.get(r.owner) ?? []) {
      if (hit.id === r.id) continue;
      const d = Math.max(1, Math.abs(hit.step - r.step));
      if (d > policy.neighbourSteps) continue;
      const lent = hit.relevance! * policy.neighbourDecay ** d;
      if (lent > (out.get(r.id) ?? 0)) out.set(r.id, lent);
    }
  }
  return out;
}
