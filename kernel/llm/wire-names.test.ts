import { describe, expect, test } from 'bun:test';
import { kernelToolName, wireToolName } from './wire-names';

describe('tool names on the wire', () => {
  test('built-in names pass; server.tool becomes server__tool; what providers refuse never reaches them, and never collides', () => {
    expect(wireToolName('calculator')).toBe('calculator');
    expect(wireToolName('files.write_file')).toBe('files__write_file');
    const odd = ['files.read/dir', 'files.read:dir', `files.${'x'.repeat(80)}`, `files.${'x'.repeat(80)}y`];
    const wired = odd.map(wireToolName);
    for (const w of wired) expect(w).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(new Set(wired).size).toBe(odd.length);
    const offered = odd.map((name) => ({ name, description: '', parameters: {} }));
    for (const name of odd) expect(kernelToolName(wireToolName(name), offered)).toBe(name);
  });
});
