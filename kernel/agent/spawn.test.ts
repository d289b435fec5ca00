import { describe, expect, test } from 'bun:test';
import { parseModelSpec } from '../llm/model-spec';
import { newAgentId, slugify, spawnAgentSchema } from './spawn';

describe('spawn request', () => {
  test('fills defaults for tenant, priority and constraints', () => {
    const s = spawnAgentSchema.parse({ name: 'Scout', role: 'r', goal: 'g', input: 'i' });
    expect(s).toMatchObject({ tenant: 'default', priority: 5, tools: [], constraints: { maxSteps: 8, maxTokensPerStep: 1024, maxTotalTokens: null, maxCostUsd: null, stepTimeoutMs: 300_000 } });
    expect(s.model).toBeUndefined();
  });

  test('rejects bad names, models and limits with messages', () => {
    const r = spawnAgentSchema.safeParse({ name: '../etc', role: 'r', goal: 'g', input: 'i', model: 'mystery:x', priority: 11, constraints: { maxSteps: 0 } });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['name', 'model', 'priority', 'constraints.maxSteps']));
    expect(r.error!.issues.find((i) => i.path[0] === 'model')!.message).toContain('unknown model provider');
  });

  test('a task renders into the first message; one of input or task is required', () => {
    const s = spawnAgentSchema.parse({ name: 't', role: 'r', goal: 'g', task: { description: 'count the apples', expectedOutput: 'a number', context: ['there are 3 apples'] } });
    expect(s.input).toBe('Task: count the apples\n\nExpected output: a number\n\nContext:\n- there are 3 apples');
    const missing = spawnAgentSchema.safeParse({ name: 't', role: 'r', goal: 'g' });
    expect(missing.success).toBe(false);
    expect(missing.error!.issues.map((i) => i.message)).toContain('give an input or a task');
    expect(spawnAgentSchema.safeParse({ name: 't', role: 'r', goal: 'g', task: { description: '', expectedOutput: 'x' } }).success).toBe(false);
  });

  test('ids are slug + 10 base-36 characters', () => {
    expect(slugify('  My Research Agent!! ')).toBe('my-research-agent');
    expect(slugify('***')).toBe('agent');
    expect(newAgentId('My Agent', () => 0.5)).toBe('my-agent-iiiiiiiiii');
    expect(newAgentId('x')).toMatch(/^x-[0-9a-z]{10}$/);
  });
});

describe('model specs', () => {
  test('parse provider:model strings', () => {
    expect(parseModelSpec('scripted')).toEqual({ provider: 'scripted', turns: 3, latencyMs: 0 });
    expect(parseModelSpec('scripted:40')).toEqual({ provider: 'scripted', turns: 40, latencyMs: 0 });
    expect(parseModelSpec('scripted:5:25')).toEqual({ provider: 'scripted', turns: 5, latencyMs: 25 });
    expect(parseModelSpec('scripted:5:-1')).toContain('latency');
    expect(parseModelSpec('openai:gpt-4o-mini')).toEqual({ provider: 'openai', model: 'gpt-4o-mini' });
    expect(parseModelSpec('openai:llama3.1:8b')).toEqual({ provider: 'openai', model: 'llama3.1:8b' });
    expect(parseModelSpec('scripted:0')).toContain('whole number');
    expect(parseModelSpec('anthropic:')).toContain('names no model');
  });
});
