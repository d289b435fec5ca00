import { expect, test } from 'bun:test';
import { canonicalJson } from './canonical-json';

test('canonical JSON sorts keys at every depth and keeps array order', () => {
  expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
  expect(canonicalJson({ usage: { x: 1 }, exitReason: 'e' })).toBe(canonicalJson({ exitReason: 'e', usage: { x: 1 } }));
  expect(canonicalJson([{ z: 1, y: 2 }])).toBe('[{"y":2,"z":1}]');
});
