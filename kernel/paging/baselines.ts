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

/**
 * Baseline 2: the seed's policy — evict by idle time weighted by importance (importance as the seed
 * assigns it: random). Keeps the pages with the highest importance × 0.5^(idle / halfLife).
 */
export function assembleSeed(budget: number, pages: readonly PageMeta[], currentStep: number, importance: (p: PageMeta) => number, halfLifeSteps = 50): Assembly {
  const chosen = new Set<string>();
  let used = 0;
  const ranked = pages
    .map((p) => ({ p, score: importance(p) * 0.5 ** (Math.max(0, currentStep - p.lastAccessStep) / halfLifeSteps) }))
    .sort((a, b) => b.score - a.score);
  for (const { p } of ranked) {
    if (used + p.tokens > budget) continue;
    chosen.add(p.id);
    used += p.tokens;
  }
  return finish(pages, chosen);
}
