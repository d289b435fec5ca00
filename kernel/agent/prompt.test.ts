import { describe, expect, test } from 'bun:test';
import { buildMessages, pageId, systemPrompt } from './prompt';

describe('prompt', () => {
  const agent = { role: 'a researcher', goal: 'find facts', backstory: null };

  test('the system prompt is stable and carries role and goal', () => {
    expect(systemPrompt(agent)).toBe('You are a researcher.\nGoal: find facts\nWork step by step. When the goal is met, give your final answer.');
    expect(systemPrompt({ ...agent, backstory: 'ex-librarian' })).toContain('Backstory: ex-librarian');
  });

  test('pages become chat messages in page-table order', () => {
    const messages = buildMessages(agent, [
      { id: 'a', kind: 'message', role: 'user', tokens: 1, step: 0, body: 'question' },
      { id: 'b', kind: 'message', role: 'assistant', tokens: 1, step: 1, body: 'thinking' },
      { id: 'c', kind: 'tool_result', role: 'tool', tokens: 1, step: 1, body: 'orphan tool text' },
      { id: 'd', kind: 'message', role: 'assistant', tokens: 1, step: 2, body: 'calling', meta: { toolCalls: [{ id: 'call_1', name: 'calculator', arguments: { expression: '1+1' } }] } },
      { id: 'e', kind: 'tool_result', role: 'tool', tokens: 1, step: 2, body: '2', meta: { toolCallId: 'call_1', toolName: 'calculator' } },
    ]);
    expect(messages.map((m) => [m.role, m.content])).toEqual([
      ['system', systemPrompt(agent)],
      ['user', 'question'],
      ['assistant', 'thinking'],
      ['user', 'orphan tool text'],
      ['assistant', 'calling'],
      ['tool', '2'],
    ]);
    expect(messages[4]).toMatchObject({ toolCalls: [{ id: 'call_1', name: 'calculator' }] });
    expect(messages[5]).toMatchObject({ toolCallId: 'call_1', toolName: 'calculator' });
  });

  test('page ids are deterministic per (agent, step, purpose)', () => {
    expect(pageId('a-1', 3, 'reply')).toBe('a-1.s3.reply');
    expect(pageId('a-1', 0, 'tool:call_1')).toBe('a-1.s0.tool:call_1');
    expect(pageId('a-1', 3, 'reply')).not.toBe(pageId('a-1', 4, 'reply'));
  });
});
