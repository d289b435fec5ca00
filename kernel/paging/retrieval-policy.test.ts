import { describe, expect, test } from 'bun:test';
import { DEFAULT_RETRIEVAL_POLICY, spreadToNeighbours, type RankedRow } from './retrieval-policy';

const row = (id: string, step: number, relevance: number | null, owner = 'a'): RankedRow => ({ id, owner, step, relevance });
const policy = { ...DEFAULT_RETRIEVAL_POLICY, neighbourSteps: 2, neighbourDecay: 0.5 };

describe('spreadToNeighbours', () => {
  test('a hit lends decay^d of its relevance to the pages d steps away, up to neighbourSteps', () => {
    const out = spreadToNeighbours([row('hit', 10, 1), row('n1', 11, null), row('n2', 8, null), row('far', 13, null)], policy);
    expect(out.get('hit')).toBe(1);
    expect(out.get('n1')).toBe(0.5);
    expect(out.get('n2')).toBe(0.25);
    expect(out.has('far')).toBe(false);
  });

  test('a page keeps the best of its own relevance and what its neighbours lend', () => {
    const out = spreadToNeighbours([row('strong', 5, 1), row('weak', 6, 0.1), row('middle', 7, 0.6)], policy);
    expect(out.get('weak')).toBe(0.5);
    expect(out.get('middle')).toBe(0.6);
  });

  test('steps are adjacent only within one owner; another page of the same step is at distance 1', () => {
    const out = spreadToNeighbours([row('hit', 3, 0.8, 'a'), row('other', 3, null, 'crew'), row('same', 3, null, 'a')], policy);
    expect(out.has('other')).toBe(false);
    expect(out.get('same')).toBe(0.4);
  });

  test('neighbourSteps 0 turns the spreading off', () => {
    const out = spreadToNeighbours([row('hit', 1, 1), row('n', 2, null)], { ...policy, neighbourSteps: 0 });
    expect([...out.keys()]).toEqual(['hit']);
  });
});
