import { describe, expect, test } from 'bun:test';
import { loadConfig } from './config';
import { isKernelError } from './errors';

describe('config', () => {
  test('defaults describe the embedded stack', () => {
    const c = loadConfig({});
    expect(c.TEMPORAL_ADDRESS).toBeUndefined();
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c).toMatchObject({ TEMPORAL_NAMESPACE: 'default', TASK_QUEUE: 'agent-os', API_PORT: 3000, MODEL: 'scripted', DATA_DIR: '.data', TEMPORAL_TLS: false });
  });

  test('reads and coerces production settings; blank means unset', () => {
    const c = loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_TLS: 'true', API_PORT: '8080', DATABASE_URL: 'postgres://x@db/aok', OPENAI_API_KEY: ' ' });
    expect(c.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(c.TEMPORAL_TLS).toBe(true);
    expect(c.API_PORT).toBe(8080);
    expect(c.DATABASE_URL).toBe('postgres://x@db/aok');
    expect(c.OPENAI_API_KEY).toBeUndefined();
  });

  test('bad values fail with one sentence naming each variable', () => {
    let caught: unknown;
    try {
      loadConfig({ API_PORT: 'eighty', LOG_LEVEL: 'loud', OPENAI_BASE_URL: 'not a url' });
    } catch (err) {
      caught = err;
    }
    expect(isKernelError(caught, 'invalid_config')).toBe(true);
    const message = (caught as Error).message;
    expect(message).toContain('API_PORT');
    expect(message).toContain('LOG_LEVEL');
    expect(message).toContain('OPENAI_BASE_URL');
  });
});
