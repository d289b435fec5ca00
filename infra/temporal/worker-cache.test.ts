import { expect, test } from 'bun:test';
import { defaultWorkflowCacheSize } from './worker';

test('the default sticky cache is a quarter of the memory at ~1.4 MiB a workflow, between 100 and 2,000', () => {
  expect(defaultWorkflowCacheSize(24 * 2 ** 30)).toBe(2_000);
  expect(defaultWorkflowCacheSize(2 * 2 ** 30)).toBe(365);
  expect(defaultWorkflowCacheSize(256 * 2 ** 20)).toBe(100);
});
