import { expect, test } from 'bun:test';
import { percentile, summarise } from './stats';

test('nearest-rank percentiles and summary', () => {
  const xs = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
  expect(percentile([...xs].sort((a, b) => a - b), 50)).toBe(5);
  expect(percentile([...xs].sort((a, b) => a - b), 95)).toBe(10);
  expect(summarise(xs)).toEqual({ n: 10, mean: 5.5, p50: 5, p95: 10, min: 1, max: 10 });
});
