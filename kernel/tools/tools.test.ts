import { describe, expect, test } from 'bun:test';
import { evaluateArithmetic } from './arithmetic';
import { validateApproval } from './policy';

describe('arithmetic', () => {
  test('precedence, parentheses, unary minus, powers', () => {
    expect(evaluateArithmetic('2 + 3 * 4')).toBe(14);
    expect(evaluateArithmetic('(2 + 3) * 4')).toBe(20);
    expect(evaluateArithmetic('-2 ^ 2')).toBe(4);
    expect(evaluateArithmetic('2 ^ 3 ^ 2')).toBe(512);
    expect(evaluateArithmetic('10 % 4 + 1.5')).toBe(3.5);
  });
  test('refuses anything else with a sentence', () => {
    expect(() => evaluateArithmetic('process.exit()')).toThrow('unexpected');
    expect(() => evaluateArithmetic('1 / 0')).toThrow('division by zero');
    expect(() => evaluateArithmetic('(1 + 2')).toThrow('not closed');
  });
});

describe('approval rules', () => {
  const pending = { callId: 'call_2_1', tool: 'publish', step: 2 };
  test('only the exact pending call id, from someone other than the agent', () => {
    expect(validateApproval(pending, { callId: 'call_2_1', approved: true, approver: 'alice' }, 'agent-1')).toBeNull();
    expect(validateApproval(pending, { callId: 'call_1_1', approved: true, approver: 'alice' }, 'agent-1')).toContain('stale');
    expect(validateApproval(null, { callId: 'call_2_1', approved: true, approver: 'alice' }, 'agent-1')).toContain('no tool call is waiting');
    expect(validateApproval(pending, { callId: 'call_2_1', approved: true, approver: 'agent-1' }, 'agent-1')).toContain('cannot approve its own');
    expect(validateApproval(pending, { callId: 'call_2_1', approved: true, approver: ' ' }, 'agent-1')).toContain('approver');
  });
});
