import { describe, expect, test } from 'bun:test';
import { rankTools } from './suggest';

describe('ranking tools for a task', () => {
  test('a reliable, well-used tool on similar tasks beats a lucky one-off and a flaky one', () => {
    const ranked = rankTools([
      { tool: 'lucky', calls: 1, succeeded: 1, similarity: 0.3 },
      { tool: 'reliable', calls: 12, succeeded: 11, similarity: 0.3 },
      { tool: 'flaky', calls: 12, succeeded: 3, similarity: 0.3 },
      { tool: 'unused', calls: 0, succeeded: 0, similarity: 0.3 },
    ]);
    expect(ranked.map((r) => r.tool)).toEqual(['reliable', 'flaky', 'lucky']);
    expect(ranked[0]!.successRate).toBeCloseTo(12 / 14, 3);
  });

  test('among equally reliable tools, the one used on closer tasks ranks first', () => {
    const ranked = rankTools([
      { tool: 'far', calls: 6, succeeded: 6, similarity: 0.05 },
      { tool: 'near', calls: 6, succeeded: 6, similarity: 0.4 },
    ]);
    expect(ranked.map((r) => r.tool)).toEqual(['near', 'far']);
  });
});
