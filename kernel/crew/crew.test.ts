import { describe, expect, test } from 'bun:test';
import { conditionSchema, holds, type NodeOutcome } from './condition';
import { planCrew, type CrewPlan } from './plan';
import { itemsOf, renderInput } from './render';
import { decide, finished, onFailure, shareOf, type CrewState } from './schedule';
import { crewSpecSchema, type CrewSpecInput } from './spec';

const agent = (input = 'do it') => ({ role: 'r', goal: 'g', input });
const spec = (nodes: CrewSpecInput['nodes'], extra: Partial<CrewSpecInput> = {}) => crewSpecSchema.parse({ name: 'crew', nodes, ...extra });
const plan = (nodes: CrewSpecInput['nodes']): CrewPlan => {
  const p = planCrew(spec(nodes));
  if (!p.ok) throw new Error(JSON.stringify(p.issues));
  return p.plan;
};
const state = (entries: Record<string, CrewState[string]['status']>): CrewState => Object.fromEntries(Object.entries(entries).map(([k, status]) => [k, { status, attempt: 1 }]));

describe('crew graphs are checked at the edge', () => {
  test('a diamond plans, dependencies first', () => {
    const p = plan([
      { id: 'a', kind: 'agent', agent: agent() },
      { id: 'b', kind: 'agent', dependsOn: ['a'], agent: agent('{{nodes.a.result}}') },
      { id: 'c', kind: 'agent', dependsOn: ['a'], agent: agent() },
      { id: 'd', kind: 'agent', dependsOn: ['b', 'c'], agent: agent('{{nodes.b.result}} {{nodes.c.result}} {{nodes.a.result}}') },
    ]);
    expect(p.order).toEqual(['a', 'b', 'c', 'd']);
  });

  test('a cycle, an unknown reference, a bad quote, a bad quorum and too wide a level each name their nodes', () => {
    const issues = (nodes: CrewSpecInput['nodes']) => {
      const p = planCrew(spec(nodes));
      return p.ok ? [] : p.issues;
    };
    expect(issues([{ id: 'a', kind: 'agent', dependsOn: ['c'], agent: agent() }, { id: 'b', kind: 'agent', dependsOn: ['a'], agent: agent() }, { id: 'c', kind: 'agent', dependsOn: ['b'], agent: agent() }])[0]).toMatchObject({ nodes: ['a', 'b', 'c'], message: expect.stringContaining('cycle') });
    expect(issues([{ id: 'a', kind: 'agent', dependsOn: ['ghost'], agent: agent() }])[0]).toMatchObject({ nodes: ['a', 'ghost'] });
    expect(issues([{ id: 'a', kind: 'agent', agent: agent() }, { id: 'b', kind: 'agent', agent: agent('{{nodes.a.result}}') }])[0]).toMatchObject({ nodes: ['b', 'a'], message: expect.stringContaining('does not come before') });
    expect(issues([{ id: 'a', kind: 'agent', agent: agent() }, { id: 'b', kind: 'agent', dependsOn: ['a'], join: { quorum: 2 }, agent: agent() }])[0]).toMatchObject({ nodes: ['b'] });
    expect(issues([{ id: 'a', kind: 'agent', agent: agent() }, { id: 'b', kind: 'agent', when: { '==': [{ var: 'nodes.a.result' }, 'x'] }, agent: agent() }])[0]).toMatchObject({ nodes: ['b', 'a'] });
    expect(issues([{ id: 'a', kind: 'agent', agent: agent(), onFailure: { fallback: 'b' } }, { id: 'b', kind: 'agent', agent: agent() }])[0]).toMatchObject({ nodes: ['a', 'b'], message: expect.stringContaining('fallbackOnly') });
    const wide = Array.from({ length: 65 }, (_, i) => ({ id: `n${i}`, kind: 'agent' as const, agent: agent() }));
    expect(issues(wide)[0]).toMatchObject({ message: expect.stringContaining('65 nodes run side by side') });
  });

  test('the zod edge refuses unknown fields, bad ids, unknown condition operators and a wait without a time', () => {
    expect(crewSpecSchema.safeParse({ name: 'x', nodes: [{ id: 'A', kind: 'agent', agent: agent() }] }).success).toBe(false);
    expect(crewSpecSchema.safeParse({ name: 'x', nodes: [{ id: 'a', kind: 'agent', agent: agent(), extra: 1 }] }).success).toBe(false);
    expect(conditionSchema.safeParse({ eval: 'process.exit()' }).success).toBe(false);
    expect(crewSpecSchema.safeParse({ name: 'x', nodes: [{ id: 'w', kind: 'wait', wait: {} }] }).success).toBe(false);
    expect(crewSpecSchema.safeParse({ name: 'x', nodes: [{ id: 'f', kind: 'foreach', foreach: { agent: agent() } }] }).success).toBe(false);
  });
});

describe('conditions', () => {
  const outcomes: Record<string, NodeOutcome> = {
    triage: { status: 'completed', result: '```json\n{"severity": "high", "score": 7, "tags": ["db", "prod"]}\n```' },
    review: { status: 'completed', result: 'I APPROVE this change.' },
    flaky: { status: 'failed', result: null },
  };
  test('read status, text and JSON results of predecessors, safely', () => {
    expect(holds({ '==': [{ var: 'nodes.triage.json.severity' }, 'high'] }, outcomes)).toBe(true);
    expect(holds({ '>': [{ var: 'nodes.triage.json.score' }, 5] }, outcomes)).toBe(true);
    expect(holds({ in: ['prod', { var: 'nodes.triage.json.tags' }] }, outcomes)).toBe(true);
    expect(holds({ in: ['approve', { var: 'nodes.review.result' }] }, outcomes)).toBe(true);
    expect(holds({ and: [{ '==': [{ var: 'nodes.flaky.status' }, 'failed'] }, { '!': { var: 'nodes.flaky.result' } }] }, outcomes)).toBe(true);
    expect(holds({ or: [false, { '==': [{ var: 'nodes.triage.json.missing.deep' }, null] }] }, outcomes)).toBe(true);
    expect(holds({ '<': ['abc', 3] }, outcomes)).toBe(false);
  });
});

describe('scheduling', () => {
  const diamond = plan([
    { id: 'a', kind: 'agent', agent: agent() },
    { id: 'b', kind: 'agent', dependsOn: ['a'], agent: agent() },
    { id: 'c', kind: 'agent', dependsOn: ['a'], agent: agent() },
    { id: 'd', kind: 'agent', dependsOn: ['b', 'c'], agent: agent() },
  ]);

  test('independent branches are ready together, the join waits for all', () => {
    expect(decide(diamond, state({ a: 'pending', b: 'pending', c: 'pending', d: 'pending' }))).toEqual({ ready: ['a'], skip: [] });
    expect(decide(diamond, state({ a: 'completed', b: 'pending', c: 'pending', d: 'pending' }))).toEqual({ ready: ['b', 'c'], skip: [] });
    expect(decide(diamond, state({ a: 'completed', b: 'completed', c: 'running', d: 'pending' }))).toEqual({ ready: [], skip: [] });
    expect(decide(diamond, state({ a: 'completed', b: 'completed', c: 'completed', d: 'pending' }))).toEqual({ ready: ['d'], skip: [] });
  });

  test('a skipped branch skips an all-join; an any-join runs on the branch that completed; a quorum skips when out of reach', () => {
    expect(decide(diamond, state({ a: 'completed', b: 'skipped', c: 'completed', d: 'pending' }))).toEqual({ ready: [], skip: ['d'] });
    const anyJoin = plan([
      { id: 'a', kind: 'agent', agent: agent() },
      { id: 'b', kind: 'agent', agent: agent() },
      { id: 'c', kind: 'agent', agent: agent() },
      { id: 'd', kind: 'agent', dependsOn: ['a', 'b', 'c'], join: 'any', agent: agent() },
      { id: 'q', kind: 'agent', dependsOn: ['a', 'b', 'c'], join: { quorum: 2 }, agent: agent() },
    ]);
    expect(decide(anyJoin, state({ a: 'skipped', b: 'completed', c: 'running', d: 'pending', q: 'pending' }))).toEqual({ ready: ['d'], skip: [] });
    expect(decide(anyJoin, state({ a: 'skipped', b: 'failed', c: 'running', d: 'pending', q: 'pending' }))).toEqual({ ready: [], skip: ['q'] });
    expect(decide(anyJoin, state({ a: 'skipped', b: 'failed', c: 'skipped', d: 'pending', q: 'skipped' }))).toEqual({ ready: [], skip: ['d'] });
  });

  test('failure policies: retry N times, fall back to a named node, continue, or fail', () => {
    const p = plan([
      { id: 'r', kind: 'agent', agent: agent(), onFailure: { retry: 2 } },
      { id: 'f', kind: 'agent', agent: agent(), onFailure: { fallback: 'spare' } },
      { id: 'spare', kind: 'agent', agent: agent(), fallbackOnly: true },
      { id: 'c', kind: 'agent', agent: agent(), onFailure: 'continue' },
      { id: 'x', kind: 'agent', agent: agent() },
    ]);
    const node = (id: string) => p.nodes.find((n) => n.id === id)!;
    const s = state({ r: 'failed', f: 'failed', spare: 'pending', c: 'failed', x: 'failed' });
    expect([1, 2, 3].map((attempt) => onFailure(node('r'), attempt, s).kind)).toEqual(['retry', 'retry', 'fail']);
    expect(onFailure(node('f'), 1, s)).toEqual({ kind: 'fallback', node: 'spare' });
    expect(onFailure(node('f'), 1, { ...s, spare: { status: 'failed', attempt: 1 } }).kind).toBe('fail');
    expect(onFailure(node('c'), 1, s).kind).toBe('continue');
    expect(onFailure(node('x'), 1, s).kind).toBe('fail');
    // An unneeded fallback does not keep the crew open.
    expect(finished(p, state({ r: 'completed', f: 'completed', spare: 'pending', c: 'completed', x: 'completed' }))).toBe(true);
  });

  test('budget shares never add up to more than the crew has', () => {
    const budget = { maxTotalTokens: 3_000, maxCostUsd: 0.3 };
    const none = { promptTokens: 0, completionTokens: 0, costUsd: 0 };
    const first = shareOf(budget, none, none, 3);
    expect(first.maxTotalTokens).toBe(1_000);
    expect(first.maxCostUsd).toBeCloseTo(0.1, 8);
    expect(first.maxCostUsd!).toBeLessThanOrEqual(0.1);
    const second = shareOf(budget, none, { promptTokens: 1_000, completionTokens: 0, costUsd: 0.1 }, 2);
    const third = shareOf(budget, none, { promptTokens: 2_000, completionTokens: 0, costUsd: 0.2 }, 1);
    expect(first.maxTotalTokens! + second.maxTotalTokens! + third.maxTotalTokens!).toBeLessThanOrEqual(3_000);
    expect(shareOf({ maxTotalTokens: null, maxCostUsd: null }, none, none, 5)).toEqual({ maxTotalTokens: null, maxCostUsd: null });
  });
});

describe('templates and items', () => {
  test('inputs quote predecessors, the item and its index; nothing else is interpreted', () => {
    expect(renderInput('Summarise {{nodes.research.result}} for {{item}} (#{{index}}); {{process.env}}', { results: { research: 'FACTS' }, item: 'acme', index: 3 })).toBe('Summarise FACTS for acme (#3); {{process.env}}');
    expect(renderInput('{{nodes.skipped.result}}!', { results: { skipped: null } })).toBe('!');
  });
  test('a list is a JSON array or one item per line', () => {
    expect(itemsOf('["a", {"b": 1}, 3]')).toEqual(['a', '{"b":1}', '3']);
    expect(itemsOf('- first\n2. second\n\n* third')).toEqual(['first', 'second', 'third']);
    expect(itemsOf('```json\n["x","y"]\n```')).toEqual(['x', 'y']);
    expect(itemsOf(null)).toEqual([]);
  });
});
