import { describe, expect, test } from 'bun:test';
import { buildMessages } from '../agent/prompt';
import { extractiveSummary } from './extractive-summary';
import { prefixStability } from './prefix-stability';
import { pagesToSummarise } from './summary-span';

const agent = { role: 'r', goal: 'g', backstory: null };

describe('prompt coherence after paging', () => {
  test('a tool result whose call was paged out becomes plain text; a call whose result was paged out loses its tool_calls', () => {
    const m = buildMessages(agent, [
      { id: 'a', kind: 'tool_result', role: 'tool', tokens: 1, step: 2, body: '42', meta: { toolCallId: 'c1', toolName: 'calculator' } },
      { id: 'b', kind: 'message', role: 'assistant', tokens: 1, step: 3, body: 'calling', meta: { toolCalls: [{ id: 'c2', name: 'calculator', arguments: {} }] } },
    ]);
    expect(m[1]).toEqual({ role: 'user', content: '(result of calculator, earlier) 42' });
    expect(m[2]).toEqual({ role: 'assistant', content: 'calling' });
  });
});

describe('summaries of paged-out spans', () => {
  test('extractive, chronological, within its token budget', () => {
    const s = extractiveSummary([
      { step: 1, importance: 0.5, body: 'Caroline joined a support group. It was powerful.' },
      { step: 2, importance: 0.9, body: 'Melanie painted a sunrise in 2022! She loved it.' },
    ], 60);
    expect(s).toContain('Summary of steps 1–2');
    expect(s.indexOf('[1]')).toBeLessThan(s.indexOf('[2]'));
    expect(s).toContain('Melanie painted a sunrise in 2022!');
    expect(s).not.toContain('She loved it');
    const tight = extractiveSummary([{ step: 1, importance: 0.1, body: 'low. x' }, { step: 2, importance: 0.9, body: 'high. y' }], 22);
    expect(tight).toContain('high.');
    expect(tight).not.toContain('low.');
  });

  test('out-of-window, unpinned, not yet summarised messages and tool results, once enough qualify', () => {
    const page = (step: number, extra: Partial<{ kind: string; pinned: boolean; summarisedIn: string | null }> = {}) => ({ id: `p${step}`, step, kind: 'message', pinned: false, summarisedIn: null, ...extra });
    const pages = [page(0, { pinned: true }), page(1), page(2, { summarisedIn: 's1' }), page(3, { kind: 'tool_result' }), page(4), page(5, { kind: 'summary' }), page(6), page(7)];
    expect(pagesToSummarise(pages, new Set(['p4', 'p7']), 3).map((p) => p.step)).toEqual([1, 3, 6]);
    expect(pagesToSummarise(pages, new Set(['p4']), 4).map((p) => p.step)).toEqual([1, 3, 6, 7]);
    expect(pagesToSummarise(pages, new Set(['p4', 'p7']), 4)).toEqual([]);
  });
});

describe('prefix stability', () => {
  test('share of tokens in the common prefix', () => {
    const a = [{ hash: 's', tokens: 50 }, { hash: 'u', tokens: 30 }, { hash: 'x', tokens: 20 }];
    expect(prefixStability(undefined, a)).toBe(0);
    expect(prefixStability(a, a)).toBe(1);
    expect(prefixStability(a, [...a.slice(0, 2), { hash: 'y', tokens: 20 }])).toBe(0.8);
  });
});
