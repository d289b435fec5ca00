import { describe, expect, test } from 'bun:test';
import { errorSerializer, redactMessage, type LoggedError } from './log-redaction';

describe('error serialisation for logs', () => {
  test('SQL text and parameters never reach a log line', () => {
    const secret = 'the user wrote this';
    const dbError = Object.assign(new Error(`Failed query: insert into "context_pages" ("body") values ($1)\nparams: ${secret}`), { query: 'insert …', params: [secret], cause: Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021', detail: secret }) });
    const logged = errorSerializer(dbError) as LoggedError;
    const text = JSON.stringify(logged);
    expect(text).not.toContain(secret);
    expect(text).not.toContain('insert into');
    expect(logged.message).toBe('Failed query (SQL and parameters withheld)');
    expect(logged.cause).toMatchObject({ code: '22021', message: 'invalid byte sequence for encoding "UTF8": 0x00' });
  });

  test('long messages are cut, and only stack frames are kept', () => {
    const big = new Error(`x${'y'.repeat(100_000)}`);
    const logged = errorSerializer(big) as LoggedError;
    expect(JSON.stringify(logged).length).toBeLessThan(2_000);
    expect(redactMessage('short')).toBe('short');
    expect(logged.stack?.split('\n').every((l) => l.startsWith('at '))).toBe(true);
  });
});
