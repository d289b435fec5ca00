import { finish, type Assembly, type PageMeta } from './types';

/** Baseline 1: recency-only truncation — the newest pages that fit. */
export function assembleRecency(budget: number, pages: readonly PageMeta[]): Assembly {
  const chosen = new Set<string>();
  let used = 0;
  for (const p of [...pages].sort((a, b) => b.step - a.step)) {
    if (used + p.tokens > budget) break;
    chosen.add(p.id);
    used += p.tokens;
  }
  return finish(pages, chosen);
}

/** A deterministic [0, 1) generator (mulberry32), standing in for the seed's `random.random()`. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The importance the seed gives every page unless told otherwise. */
export const SEED_DEFAULT_IMPORTANCE = 0.5;

/**
 * Baseline 2: the seed's documented eviction rule — evict the page with the highest
 * `lru · (1 − 0.5 · importance)`, where `lru` is the steps since the page was last accessed and
 * importance defaults to 0.5 — i.e. keep the pages with the lowest score that fit.
 */
export function assembleSeed(budget: number, pages: readonly PageMeta[], currentStep: number, importance: (p: PageMeta) => number = () => SEED_DEFAULT_IMPORTANCE): Assembly {
  const chosen = new Set<string>();
  let used = 0;
  const ranked = pages
    .map((p) => ({ p, score: Math.max(0, currentStep - p.lastAccessStep) * (1 - 0.5 * importance(p)) }))
    .sort((a, b) => a.score - b.score || b.p.step - a.p.step);
  for (const { p } of ranked) {
    if (used + p.tokens > budget) continue;
    chosen.add(p.id);
    used += p.tokens;
  }
  return finish(pages, chosen);
}

/**
 * Baseline 3: retrieval only — the pages a full-text search for the question ranks highest, in rank
 * order, until the budget is full. No recency, no importance, no pinning: what "just retrieve" gives.
 */
export function assembleRetrieval(budget: number, pages: readonly PageMeta[], ranked: readonly string[]): Assembly {
  const byId = new Map(pages.map((p) => [p.id, p]));
  const chosen = new Set<string>();
  let used = 0;
  for (const id of ranked) {
    const p = byId.get(id);
    if (!p || used + p.tokens > budget) continue;
    chosen.add(id);
    used += p.tokens;
  }
  return finish(pages, chosen);
}
