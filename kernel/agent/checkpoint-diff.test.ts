import { expect, test } from 'bun:test';
import { diffCheckpoints, type CheckpointState } from './checkpoint-diff';

test('a checkpoint diff reports steps, usage, changed fields and pages added or removed', () => {
  const a: CheckpointState = { step: 1, status: 'running', priority: 5, usage: { promptTokens: 10, completionTokens: 5, costUsd: 0.1 }, budget: { maxTotalTokens: 100, maxCostUsd: null }, pages: [{ id: 'in', tokens: 3, kind: 'message' }, { id: 'r1', tokens: 4, kind: 'message' }] };
  const b: CheckpointState = { ...a, step: 3, priority: 2, usage: { promptTokens: 40, completionTokens: 9, costUsd: 0.3 }, budget: { maxTotalTokens: 500, maxCostUsd: null }, pages: [a.pages[0]!, { id: 'r2', tokens: 6, kind: 'message' }] };
  expect(diffCheckpoints(a, b)).toEqual({
    steps: 2,
    status: null,
    priority: { from: 5, to: 2 },
    usage: { promptTokens: 30, completionTokens: 4, costUsd: 0.2 },
    budget: { from: { maxTotalTokens: 100, maxCostUsd: null }, to: { maxTotalTokens: 500, maxCostUsd: null } },
    pagesAdded: [{ id: 'r2', tokens: 6, kind: 'message' }],
    pagesRemoved: [{ id: 'r1', tokens: 4, kind: 'message' }],
  });
});
