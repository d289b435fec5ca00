import { describe, expect, test } from 'bun:test';
import { loadConfig } from '../../kernel/config';
import { connectionOptions, temporalAddress } from './client';

describe('connecting to Temporal', () => {
  const target = (env: Record<string, string>) => {
    const config = loadConfig(env);
    return { ...config, address: temporalAddress(config) };
  };

  test('a local dev server: plaintext, no key', () => {
    expect(connectionOptions(target({}))).toEqual({ address: '127.0.0.1:7233', tls: undefined, apiKey: undefined });
  });

  test('Temporal Cloud: TLS and the API key (an API key alone turns TLS on)', () => {
    expect(connectionOptions(target({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_TLS: 'true', TEMPORAL_API_KEY: 'k' }))).toEqual({ address: 'ns.acct.tmprl.cloud:7233', tls: {}, apiKey: 'k' });
    expect(connectionOptions(target({ TEMPORAL_ADDRESS: 'x:7233', TEMPORAL_API_KEY: 'k' })).tls).toEqual({});
    expect(connectionOptions(target({ TEMPORAL_ADDRESS: 'x:7233', TEMPORAL_TLS: 'true' }))).toEqual({ address: 'x:7233', tls: {}, apiKey: undefined });
  });

  test('a bad TLS flag stops start-up with a sentence', () => {
    expect(() => loadConfig({ TEMPORAL_TLS: 'perhaps' })).toThrow('TEMPORAL_TLS');
  });
});
