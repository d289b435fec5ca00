import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Connection } from '@temporalio/client';
import { isKernelError } from '../../kernel/errors';
import { KERNEL_SEARCH_ATTRIBUTES } from '../../kernel/search-attributes';
import { isAlive } from '../../db/dir-lock';
import { createLogger } from '../logger';
import { resolveTemporalBinary } from './binary';
import { startDevServer, startFailure, type DevServer } from './dev-server';
import { ensureSearchAttributes } from './search-attributes';

// This suite starts real servers; bun's 5 s default is too short for its hooks.
setDefaultTimeout(120_000);


describe('temporal dev server', () => {
  let server: DevServer;
  beforeAll(async () => {
    server = await startDevServer({ ui: false });
  });
  afterAll(() => server.stop());

  test('answers on a free port with the kernel search attributes registered', async () => {
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const connection = await Connection.connect({ address: server.address });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: server.namespace });
      for (const sa of KERNEL_SEARCH_ATTRIBUTES) expect(Object.keys(customAttributes ?? {})).toContain(sa.name);
    } finally {
      await connection.close();
    }
  });

  test('on a bare server the kernel registers its search attributes itself, once', async () => {
    const bare = await startDevServer({ ui: false, searchAttributes: false });
    const connection = await Connection.connect({ address: bare.address });
    try {
      const logger = createLogger('silent');
      const added = await ensureSearchAttributes(connection, bare.namespace, logger);
      expect(added.sort()).toEqual(KERNEL_SEARCH_ATTRIBUTES.map((sa) => sa.name).sort());
      expect(await ensureSearchAttributes(connection, bare.namespace, logger)).toEqual([]);
    } finally {
      await connection.close();
      await bare.stop();
    }
  });

  test('stop() ends the process and removes its temporary database; a second stop is harmless', async () => {
    const other = await startDevServer({ ui: false });
    expect(isAlive(other.pid)).toBe(true);
    await other.stop();
    expect(isAlive(other.pid)).toBe(false);
    await other.stop();
  });

  test('a durable database file outlives the server, and the Web UI answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aok-devdb-'));
    try {
      const dbFile = join(dir, 'nested', 'temporal.db');
      const durable = await startDevServer({ ui: true, dbFile });
      expect(durable.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const ui = await fetch(durable.uiUrl!);
      expect(ui.status).toBe(200);
      await durable.stop();
      expect(existsSync(dbFile)).toBe(true);
      expect(existsSync(dirname(dbFile))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('temporal binary resolution', () => {
  test('a TEMPORAL_CLI_PATH that does not exist is a clear error', async () => {
    const err = await resolveTemporalBinary({ TEMPORAL_CLI_PATH: '/nope/temporal' }).catch((e: unknown) => e);
    expect(isKernelError(err, 'temporal_cli_missing')).toBe(true);
    expect((err as Error).message).toContain('/nope/temporal');
  });

  test('with no CLI on PATH, none cached and no Go, it says what to install', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'aok-cache-'));
    try {
      const err = await resolveTemporalBinary({ PATH: '/nonexistent', AOK_CACHE_DIR: cache }).catch((e: unknown) => e);
      expect(isKernelError(err, 'temporal_cli_missing')).toBe(true);
      expect((err as Error).message).toContain('v1.5.1');
      expect((err as Error).message).toContain('TEMPORAL_ADDRESS');
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  test('an existing TEMPORAL_CLI_PATH is used as is, ahead of PATH', async () => {
    const real = await resolveTemporalBinary();
    expect(await resolveTemporalBinary({ TEMPORAL_CLI_PATH: real, PATH: '/nonexistent' })).toBe(real);
  });
});

describe('a dev server that fails to start', () => {
  test('the error keeps the reason from the top of a Go panic, not only the stack tail', () => {
    const stack = Array.from({ length: 40 }, (_, i) => `go.temporal.io/server/temporal.frame${i}(...)\n\t/root/go/pkg/mod/fx.go:${i}`).join('\n');
    const stderr = `panic: listen tcp 127.0.0.1:7234: bind: address already in use\n\ngoroutine 1 [running]:\n${stack}\nmain.main()`;
    const message = startFailure(stderr);
    expect(message.split('\n')[0]).toBe('panic: listen tcp 127.0.0.1:7234: bind: address already in use');
    expect(message).toContain('main.main()');
    expect(message.length).toBeLessThanOrEqual(4_000);
  });
});
