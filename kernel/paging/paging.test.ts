import { describe, expect, test } from 'bun:test';
import { assemble, DEFAULT_ASSEMBLY_POLICY } from './assemble';
import { assembleRecency, assembleRetrieval, assembleSeed, seededRandom } from './baselines';
import { orTsQuery } from './fts-query';
import type { PageMeta } from './types';

const page = (i: number, extra: Partial<PageMeta> = {}): PageMeta => ({ id: `p${String(i).padStart(3, '0')}`, kind: 'message', tokens: 10, step: i, importance: 0.5, pinned: false, lastAccessStep: i, ...extra });
const pages = Array.from({ length: 100 }, (_, i) => page(i + 1));

describe('assembly', () => {
  test('never exceeds the budget, and returns pages in chronological order', () => {
    for (const budget of [0, 5, 10, 95, 300, 2000]) {
      const a = assemble({ budget, pages, relevance: new Map(), currentStep: 100 });
      expect(a.tokens).toBeLessThanOrEqual(budget);
      expect(a.pages.map((p) => p.step)).toEqual([...a.pages.map((p) => p.step)].sort((x, y) => x - y));
      expect(a.pages.length + a.evicted.length).toBe(100);
    }
  });

  test('pinned pages come first, then the recent window, then the most relevant', () => {
    const withPinned = pages.map((p) => (p.step === 1 ? { ...p, pinned: true } : p));
    const relevance = new Map([['p010', 1], ['p020', 0.9]]);
    const a = assemble({ budget: 60, pages: withPinned, relevance, currentStep: 100 }, { ...DEFAULT_ASSEMBLY_POLICY, recentShare: 0.2 });
    const ids = a.pages.map((p) => p.id);
    expect(ids).toContain('p001');
    expect(ids).toContain('p010');
    expect(ids).toContain('p020');
    expect(ids).toContain('p100');
    expect(ids).toContain('p099');
    expect(a.tokens).toBe(60);
    // Each page says why it was taken (what the console shows for a step's window).
    expect(a.reasons?.get('p001')).toBe('pinned');
    expect(a.reasons?.get('p100')).toBe('recent');
    expect(a.reasons?.get('p010')).toBe('ranked');
    expect([...(a.reasons?.keys() ?? [])].sort()).toEqual([...ids].sort());
  });

  test('leftover room goes to recent pages rather than staying empty', () => {
    const a = assemble({ budget: 200, pages, relevance: new Map([['p005', 1]]), currentStep: 100 });
    expect(a.tokens).toBe(200);
    expect(a.pages.map((p) => p.id)).toContain('p005');
  });
});

describe('baselines', () => {
  test('recency keeps the newest pages that fit', () => {
    const a = assembleRecency(35, pages);
    expect(a.pages.map((p) => p.step)).toEqual([98, 99, 100]);
  });

  test('the seed rule keeps the pages with the lowest lru · (1 − 0.5 · importance), within budget', () => {
    // With the default importance (0.5) it is least-recently-used: the 10 most recently accessed pages.
    const a = assembleSeed(100, pages, 100);
    expect(a.tokens).toBe(100);
    expect(a.pages.map((p) => p.step)).toEqual([91, 92, 93, 94, 95, 96, 97, 98, 99, 100]);
    // Importance 1 scales a page's idle time by 0.5 instead of 0.75: page 93 (idle 7 → 3.5) now beats
    // pages 95 (5 → 3.75) and 94 (6 → 4.5), but not page 96 (4 → 3.0).
    const b = assembleSeed(60, pages, 100, (p) => (p.id === 'p093' ? 1 : 0.5));
    expect(b.pages.map((p) => p.step)).toEqual([93, 96, 97, 98, 99, 100]);
  });

  test('retrieval only fills the budget in rank order, skipping what does not fit', () => {
    const big = pages.map((p) => (p.id === 'p050' ? { ...p, tokens: 100 } : p));
    const a = assembleRetrieval(35, big, ['p050', 'p007', 'p090', 'p003', 'p080']);
    expect(a.pages.map((p) => p.id)).toEqual(['p003', 'p007', 'p090']);
    expect(a.tokens).toBe(30);
    expect(assembleRetrieval(100, pages, []).pages).toEqual([]);
  });

  test('the seeded generator is deterministic and spread over [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(new Set(xs).size).toBeGreaterThan(990);
    expect(seededRandom(8)()).not.toBe(seededRandom(7)());
  });
});

describe('full-text query', () => {
  test('OR of meaningful words, safe characters only', () => {
    expect(orTsQuery('When did Caroline go to the LGBTQ support group?')).toBe('caroline | go | lgbtq | support | group');
    expect(orTsQuery("x'); drop table agents; --")).toBe('drop | table | agents');
    expect(orTsQuery('what is it?')).toBe('');
  });
});
