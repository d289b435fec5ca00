import { describe, expect, test } from 'bun:test';
import { assemble, DEFAULT_ASSEMBLY_POLICY } from './assemble';
import { assembleRecency, assembleSeed, seededRandom } from './baselines';
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

  test('the seed policy keeps high importance × low idle time, within budget', () => {
    const rand = seededRandom(7);
    const imp = new Map(pages.map((p) => [p.id, rand()]));
    const a = assembleSeed(100, pages, 100, (p) => imp.get(p.id)!);
    expect(a.tokens).toBeLessThanOrEqual(100);
    expect(a.pages).toHaveLength(10);
    expect(seededRandom(7)()).toBe(seededRandom(7)());
  });
});

describe('full-text query', () => {
  test('OR of meaningful words, safe characters only', () => {
    expect(orTsQuery('When did Caroline go to the LGBTQ support group?')).toBe('caroline | go | lgbtq | support | group');
    expect(orTsQuery("x'); drop table agents; --")).toBe('drop | table | agents');
    expect(orTsQuery('what is it?')).toBe('');
  });
});
