import { describe, expect, test } from 'bun:test';
import { isKernelError } from '../errors';
import { matchesType, parseTypePatterns } from './type-filter';

describe('event type patterns', () => {
  test('exact types, families and everything', () => {
    const p = parseTypePatterns('agent.*, tool.completed');
    expect(matchesType('agent.finished', p)).toBe(true);
    expect(matchesType('tool.completed', p)).toBe(true);
    expect(matchesType('tool.started', p)).toBe(false);
    expect(matchesType('agentx.finished', p)).toBe(false);
    expect(matchesType('anything', parseTypePatterns(undefined))).toBe(true);
    expect(matchesType('anything', parseTypePatterns('*'))).toBe(true);
  });

  test('anything else is a clear 400', () => {
    for (const bad of ['agent.**', "x'; drop", 'a..b', '*.finished', 'A.B']) {
      let err: unknown;
      try {
        parseTypePatterns(bad);
      } catch (e) {
        err = e;
      }
      expect(isKernelError(err, 'invalid_input')).toBe(true);
    }
    expect(() => parseTypePatterns(Array.from({ length: 21 }, (_, i) => `t${i}`).join(','))).toThrow('at most 20');
  });
});
