import { Client } from '@temporalio/client';
import type { WorkflowBundle } from '@temporalio/worker';
import { createLogger } from '../../infra/logger';
import { startStack, type Stack } from '../../infra/stack';
import { bundleWorkflows } from '../../infra/temporal/worker';
import { tmpdir } from 'node:os';
import { readConfigFile } from '../../infra/config/file';
import { type Config, resolveConfig } from '../../kernel/config';
import { createTestDatabase } from './postgres';
import { rootFetch, TEST_AUTH_ENV } from './keys';

const bundles: Partial<Record<'plain' | 'traced', Promise<WorkflowBundle>>> = {};

/** The workflow bundle, built once per test process (a traced one too, when a test turns tracing on). */
export function testBundle(options: { traced?: boolean } = {}): Promise<WorkflowBundle> {
  const kind = options.traced ? 'traced' : 'plain';
  bundles[kind] ??= bundleWorkflows({ traced: options.traced });
  return bundles[kind];
}

/** A whole kernel for one test file: a headless dev server, a database, a worker and the API on a free port. */
export async function startTestStack(options: {
  database: 'postgres' | 'pglite';
  env?: Record<string, string>;
  worker?: boolean;
  /** Log level of the stack's logger (default TEST_LOG_LEVEL or error). */
  logLevel?: string;
  /** Serve the Temporal Web UI too (browser tests). */
  ui?: boolean;
  /** Receives every log line (tests that check what is logged). */
  logSink?: (line: string) => void;
  /** Rewrites the Postgres URL the stack connects through (e.g. via a proxy a test can cut); `databaseUrl` stays the direct one. */
  viaUrl?: (url: string) => string;
}): Promise<Stack & { config: Config; databaseUrl: string | undefined }> {
  const sink = options.logSink;
  const logger = createLogger(options.logLevel ?? process.env.TEST_LOG_LEVEL ?? 'error', 'aok', sink ? { write: (line: string) => sink(line) } : undefined);
  const fresh = options.database === 'postgres' ? await createTestDatabase() : undefined;
  const configEnv: Record<string, string | undefined> = { LOG_LEVEL: 'error', TASK_QUEUE: `test-${Math.random().toString(36).slice(2, 8)}`, ...TEST_AUTH_ENV, ...options.env };
  // A config file only when the test names one (a developer's aok.config.* in the checkout is not read).
  const configFile = await readConfigFile(configEnv, configEnv.AOK_CONFIG_FILE ? process.cwd() : tmpdir());
  const config = resolveConfig({ base: configFile.base, profile: configFile.profileValues }, configEnv).config;
  try {
    const stack = await startStack({
      config,
      logger,
      database: fresh ? { url: options.viaUrl ? options.viaUrl(fresh.url) : fresh.url, poolSize: 5 } : { pgliteDir: 'memory://' },
      devServer: { ui: options.ui ?? false },
      apiPort: 0,
      configEnv,
      configFile,
      worker: options.worker ?? true,
      workflowBundle: await testBundle({ traced: config.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined }),
    });
    return {
      ...stack,
      config,
      databaseUrl: fresh?.url,
      async stop() {
        await stack.stop();
        await fresh?.drop();
      },
    };
  } catch (err) {
    await fresh?.drop();
    throw err;
  }
}

/** POSTs JSON to the stack's API. */
export function postJson(stack: Stack, path: string, body: unknown): Promise<Response> {
  return rootFetch(`${stack.apiUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** A client on the stack's connection that may query closed workflows (the kernel's own client refuses to, by design). */
export function inspectingClient(stack: Stack): Client {
  return new Client({ connection: stack.client.connection, namespace: stack.temporal.namespace, dataConverter: stack.dataConverter });
}
