import { describe, expect, test } from 'bun:test';
import { buildMessages, pageId, systemPrompt } from './prompt';

describe('prompt', () => {
  const agent = { role: 'a researcher', goal: 'find facts', backstory: null };

  test('the system prompt is stable and carries role and goal', () => {
    expect(systemPrompt(agent)).toBe(systemPrompt({ ...agent }));
    expect(systemPrompt(agent)).toContain('You are a researcher.');
    expect(systemPrompt(agent)).toContain('Goal: find facts');
    expect(systemPrompt({ ...agent, backstory: 'ex-librarian' })).toContain('Backstory: ex-librarian');
  });

  test('pages become chat messages in page-table order', () => {
    const messages = buildMessages(agent, [
      { id: 'a', kind: 'message', role: 'user', tokens: 1, step: 0, body: 'question' },
      { id: 'b', kind: 'message', role: 'assistant', tokens: 1, step: 1, body: 'thinking' },
      { id: 'c', kind: 'tool_result', role: 'tool', tokens: 1, step: 1, body: 'tool said' },
    ]);
    expect(messages.map((m) => [m.role, m.content])).toEqual([
      ['system', systemPrompt(agent)],
      ['user', 'question'],
      ['assistant', 'thinking'],
      ['user', 'tool said'],
    ]);
  });

  test('page ids are deterministic per (agent, step, purpose)', () => {
    expect(pageId('a-1', 3, 'reply')).toBe('a-1.s3.reply');
    expect(pageId('a-1', 3, 'reply')).toBe(pageId('a-1', 3, 'reply'));
  });
});
