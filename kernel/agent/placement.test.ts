import { describe, expect, test } from 'bun:test';
import { gpuLeaseResource, nodeTaskQueue, spreadAcross } from './placement';

describe('moving agents off a node', () => {
  test('spreads them over the other nodes, fewest agents first, ties by id', () => {
    const out = spreadAcross(['a1', 'a2', 'a3', 'a4', 'a5'], new Map([['n2', 1], ['n1', 0], ['n3', 3]]));
    expect([...out.entries()]).toEqual([['a1', 'n1'], ['a2', 'n1'], ['a3', 'n2'], ['a4', 'n1'], ['a5', 'n2']]);
  });

  test('no other node means any node (null), never a crash', () => {
    expect([...spreadAcross(['a1'], new Map()).entries()]).toEqual([['a1', null]]);
  });

  test('queue and lease names are derived, not stored', () => {
    expect(nodeTaskQueue('agents', 'gpu-1')).toBe('agents.node.gpu-1');
    expect(gpuLeaseResource('x-1')).toBe('gpu:x-1');
  });
});
