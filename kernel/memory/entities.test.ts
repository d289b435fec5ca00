import { describe, expect, test } from 'bun:test';
import { extractFactsByRules } from './extract-rules';
import { factKey, sameValue } from './fact';
import { reconcileFacts } from './reconcile';

const pick = (text: string, speaker = 'user') => extractFactsByRules(text, speaker).map((f) => [f.entity, f.attribute, f.value]);

describe('extracting facts by rules', () => {
  test('first-person facts are about the speaker, in the order they were said', () => {
    expect(pick('Hi! My name is Ana Lima. I live in Porto and I work at Acme Labs. My favourite colour is green.')).toEqual([
      ['user', 'name', 'Ana Lima'],
      ['user', 'lives_in', 'Porto'],
      ['user', 'works_at', 'Acme Labs'],
      ['user', 'favorite_colour', 'green'],
    ]);
    expect(pick("I've just moved to Lisbon, finally.", 'Caroline')).toEqual([['Caroline', 'lives_in', 'Lisbon']]);
    expect(pick('Quick update: I moved to Lisbon last week.')).toEqual([['user', 'lives_in', 'Lisbon']]);
    expect(pick('I work at Acme Labs since 2021 and love it.')).toEqual([['user', 'works_at', 'Acme Labs']]);
    expect(pick("I'm 34 years old. My dog is called Rex.")).toEqual([
      ['user', 'age', '34'],
      ['user', 'dog_name', 'Rex'],
    ]);
  });

  test('third-person facts name their entity; pronouns, questions and negations yield nothing', () => {
    expect(pick('Melanie works at the museum. Jon moved to Berlin.')).toEqual([
      ['Melanie', 'works_at', 'the museum'],
      ['Jon', 'lives_in', 'Berlin'],
    ]);
    expect(pick('She moved to Paris.')).toEqual([]);
    expect(pick('Do you live in Rome?')).toEqual([]);
    expect(pick("I don't live in Rome. I never worked at Globex.")).toEqual([]);
    expect(pick('The weather is nice today.')).toEqual([]);
  });
});

describe('reconciling facts', () => {
  const stored = [{ id: 'm1', entity: 'user', attribute: 'lives_in', value: 'Porto', sentence: 'I live in Porto.' }];
  const fact = (attribute: string, value: string) => ({ entity: 'User', attribute, value, sentence: `${attribute} ${value}` });

  test('the same fact again is left alone; a new one is added; a changed one updates the held version', () => {
    const actions = reconcileFacts(stored, [fact('lives_in', 'porto.'), fact('works_at', 'Acme'), fact('lives_in', 'Lisbon')]);
    expect(actions.map((a) => a.kind)).toEqual(['noop', 'add', 'update']);
    const update = actions[2]!;
    expect(update.kind === 'update' && 'id' in update.previous ? update.previous.id : null).toBe('m1');
  });

  test('never a duplicate within a batch; two changes in one batch are two versions, the last current', () => {
    expect(reconcileFacts([], [fact('works_at', 'Acme'), fact('works_at', 'the Acme')]).map((a) => a.kind)).toEqual(['add', 'noop']);
    const actions = reconcileFacts(stored, [fact('lives_in', 'Lisbon'), fact('lives_in', 'Madrid')]);
    expect(actions.map((a) => [a.kind, a.fact.value])).toEqual([['update', 'Lisbon'], ['update', 'Madrid']]);
    expect(actions[1]!.kind === 'update' && actions[1]!.previous.value).toBe('Lisbon');
  });

  test('keys and values compare loosely: case, articles, punctuation', () => {
    expect(factKey({ entity: '  Ana  Lima ', attribute: 'lives_in' })).toBe('ana lima.lives_in');
    expect(sameValue('The Boston office.', 'boston office')).toBe(true);
    expect(sameValue('Boston', 'Austin')).toBe(false);
  });
});
