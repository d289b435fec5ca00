import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import Long from 'long';
import pino from 'pino';
import { isKernelError, KernelError } from '../../kernel/errors';
import { KERNEL_SEARCH_ATTRIBUTES } from '../../kernel/search-attributes';
import { portIsFree } from '../free-port';
import { createLogger } from '../logger';
import type { ProgressSink } from './binary';
import { resolveServerBinaries } from './production-binaries';
import { forgetDeadMembers, prepareDatabase, schemaSources } from './production-database';
import { KERNEL_DYNAMIC_CONFIG, startFailure, type DevServer } from './dev-server';
import { parsePostgresUrl, renderDynamicConfig, renderServerConfig, type PostgresTarget, type ProductionPorts } from './production-config';
import { ensureSearchAttributes } from './search-attributes';

export { TEMPORAL_SERVER_VERSION } from './production-binaries';
/** How to start a production Temporal server on Postgres. */
export interface ProductionServerOptions {
  /** Postgres to keep state in (default `postgres://postgres@127.0.0.1:5432`); the database in its path (default `postgres`) is only used to create the two. */
  postgresUrl?: string;
  /** Database for workflow state (default `temporal`). */
  database?: string;
  /** Database for visibility records (default `temporal_visibility`). */
  visibilityDatabase?: string;
  /** Drop both databases first, for a run that starts from nothing (default false). */
  reset?: boolean;
  /** Preferred frontend gRPC port; taken or omitted → a free one. */
  port?: number;
  namespace?: string;
  /** Days a closed workflow is kept when the namespace is registered here (default 1). */
  retentionDays?: number;
  /** Register the kernel's search attributes (default true; false mimics a bare cluster). */
  searchAttributes?: boolean;
  /** `key=value` dynamic config settings (default {@link KERNEL_DYNAMIC_CONFIG}, what the dev server gets). */
  dynamicConfig?: readonly string[];
  /** Fixed when the database is created (default 4). */
  numHistoryShards?: number;
  /** The server's own log level (default `warn`); its output goes to `$TEMPORAL_SERVER_LOG` when set. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** How long to wait for the server to answer and the namespace to be usable (default 120 s). */
  readyTimeoutMs?: number;
  /** Progress lines (builds); defaults to stderr. */
  progress?: ProgressSink;
}

/** A running production server: a {@link DevServer} without a UI, plus where its state lives. */
export interface ProductionServer extends DevServer {
  uiUrl: undefined;
  /** The two databases the server writes (on the Postgres it was given). */
  databases: { default: string; visibility: string };
}

const HOST = '127.0.0.1';
const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432';
const stderrProgress: ProgressSink = (l) => process.stderr.write(`${l}\n`);

/**
 * Lowest and highest port handed out. Temporal's Postgres schema stores each service's membership port
 * in a `smallint` (cluster_membership.rpc_port), so a port from 32768 up (Linux's ephemeral range, where
 * `freePort` lands) stops the server with "value … is out of range for type smallint". All nine ports
 * come from this range to keep it simple.
 */
const PORT_RANGE = { low: 20_000, high: 32_767 } as const;

/** Nine distinct free ports below 32768; the frontend's gRPC port is the preferred one when it is free. */
async function pickPorts(preferred: number | undefined): Promise<ProductionPorts> {
  const taken = new Set<number>();
  const next = async (wanted?: number): Promise<number> => {
    if (wanted && !taken.has(wanted) && (await portIsFree(wanted, HOST))) {
      taken.add(wanted);
      return wanted;
    }
    for (let tries = 0; tries < 1_000; tries++) {
      const port = PORT_RANGE.low + Math.floor(Math.random() * (PORT_RANGE.high - PORT_RANGE.low + 1));
      if (!taken.has(port) && (await portIsFree(port, HOST))) {
        taken.add(port);
        return port;
      }
    }
    throw new KernelError('unavailable', `no free port between ${PORT_RANGE.low} and ${PORT_RANGE.high} on ${HOST}.`);
  };
  return {
    frontend: { grpc: await next(preferred), membership: await next(), http: await next() },
    history: { grpc: await next(), membership: await next() },
    matching: { grpc: await next(), membership: await next() },
    worker: { grpc: await next(), membership: await next() },
  };
}

/** How many times a server that exits while starting is tried again on fresh ports. */
const START_ATTEMPTS = 3;

/**
 * Starts the Temporal server (not the dev server) on Postgres: builds the binaries when missing,
 * creates and migrates the two databases, writes the server and dynamic config to a temp folder,
 * starts all four services in one process on free ports, registers the namespace and the kernel's
 * search attributes, and resolves once the namespace answers visibility queries.
 */
export async function startProductionServer(options: ProductionServerOptions = {}): Promise<ProductionServer> {
  const progress = options.progress ?? stderrProgress;
  const binaries = await resolveServerBinaries(process.env, progress);
  const pg = parsePostgresUrl(options.postgresUrl ?? DEFAULT_POSTGRES_URL);
  const databases = { default: options.database ?? 'temporal', visibility: options.visibilityDatabase ?? 'temporal_visibility' };
  for (const name of Object.values(databases)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new KernelError('invalid_config', `database name ${JSON.stringify(name)} must be a plain SQL identifier.`);
  }
  const schemas = await schemaSources(process.env);
  await prepareDatabase(binaries.sqlTool, pg, databases.default, schemas.default, options.reset ?? false);
  await prepareDatabase(binaries.sqlTool, pg, databases.visibility, schemas.visibility, options.reset ?? false);
  await forgetDeadMembers(pg, databases.default);

  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binaries.server, pg, databases, options, attempt > 1);
    } catch (err) {
      lastError = err;
      if (!(isKernelError(err) && typeof (err.details as { exitCode?: unknown } | undefined)?.exitCode === 'number')) throw err;
    }
  }
  throw lastError;
}

async function startOnce(
  binary: string,
  pg: PostgresTarget,
  databases: ProductionServer['databases'],
  options: ProductionServerOptions,
  freshPorts: boolean,
): Promise<ProductionServer> {
  const namespace = options.namespace ?? 'default';
  const ports = await pickPorts(freshPorts ? undefined : options.port);
  const configDir = mkdtempSync(join(tmpdir(), 'aok-temporal-server-'));
  const dynamicConfigFile = join(configDir, 'dynamic-config.yaml');
  writeFileSync(dynamicConfigFile, renderDynamicConfig(options.dynamicConfig ?? KERNEL_DYNAMIC_CONFIG));
  writeFileSync(
    join(configDir, 'production.yaml'),
    renderServerConfig({
      host: HOST,
      ports,
      postgres: pg,
      database: databases.default,
      visibilityDatabase: databases.visibility,
      dynamicConfigFile,
      numHistoryShards: options.numHistoryShards ?? 4,
      logLevel: options.logLevel ?? 'warn',
      maxConns: 20,
    }),
  );

  // The server loads <root>/<config>/<env>.yaml; the password reaches it through the file, not the process list.
  const proc = Bun.spawn([binary, '--root', configDir, '--config', '.', '--env', 'production', '--allow-no-auth', 'start'], {
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const tail = drainTail([proc.stdout, proc.stderr], process.env.TEMPORAL_SERVER_LOG);
  // An exiting parent takes the server and its config folder with it (stop() was not called).
  const killOnExit = () => {
    proc.kill('SIGKILL');
    rmSync(configDir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  let stopped = false;
  let ready = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', killOnExit);
    proc.kill('SIGTERM');
    const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(20_000).then(() => false)]);
    if (!exited) {
      proc.kill('SIGKILL');
      await proc.exited;
    }
    rmSync(configDir, { recursive: true, force: true });
  };
  // A server that stops by itself after it was ready says so; one that fails while starting is reported by waitUntilReady.
  void proc.exited.then((code) => {
    if (ready && !stopped) process.stderr.write(`temporal server exited unexpectedly (code ${code}):\n${serverFailure(tail.text())}\n`);
  });

  const address = `${HOST}:${ports.frontend.grpc}`;
  try {
    await waitUntilReady(address, namespace, options, proc, tail);
  } catch (err) {
    await stop();
    throw err;
  }
  ready = true;
  return { address, uiUrl: undefined, namespace, pid: proc.pid, databases, stop };
}

/** Reads streams to their ends, keeping the last 16 KB of their output (and writing everything to `file`, when given). */
function drainTail(streams: ReadableStream<Uint8Array>[], file?: string): { text(): string; done: Promise<void> } {
  let kept = '';
  const sink = file ? Bun.file(file).writer() : undefined;
  const done = Promise.all(
    streams.map(async (stream) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) {
        kept = (kept + decoder.decode(chunk, { stream: true })).slice(-16_384);
        sink?.write(chunk);
      }
    }),
  ).then(async () => {
    await sink?.end();
  });
  return { text: () => kept, done };
}

/**
 * Why the server stopped, from the end of its output: the message and error of its JSON log lines at
 * level error or worse (the stack traces left out), else the lines {@link startFailure} picks.
 */
export function serverFailure(output: string): string {
  const reasons: string[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: unknown; msg?: unknown; error?: unknown };
      if (entry.level !== 'error' && entry.level !== 'fatal' && entry.level !== 'panic' && entry.level !== 'dpanic') continue;
      const reason = `${String(entry.level)}: ${String(entry.msg)}${entry.error === undefined ? '' : ` (${String(entry.error)})`}`;
      if (!reasons.includes(reason)) reasons.push(reason);
    } catch {
      // a line cut by the 16 KB window, or not JSON: left to startFailure
    }
  }
  return reasons.length > 0 ? reasons.slice(-5).join('\n') : startFailure(output);
}

/** gRPC status ALREADY_EXISTS: the namespace was registered by an earlier run on the same databases. */
const ALREADY_EXISTS = 6;

function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Waits until the frontend answers, registers the namespace (an existing one is kept), registers the
 * search attributes, and waits until a visibility query on the namespace succeeds.
 */
async function waitUntilReady(
  address: string,
  namespace: string,
  options: ProductionServerOptions,
  proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>,
  tail: { text(): string; done: Promise<void> },
): Promise<void> {
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  let stage = 'frontend';
  let lastError: unknown;
  const logger = createLogger('warn', 'temporal-server', pino.destination(2));
  while (Date.now() < deadline) {
    stage = 'frontend';
    if (proc.exitCode !== null) {
      await Promise.race([tail.done, Bun.sleep(1_000)]);
      throw new KernelError('unavailable', `temporal server exited with code ${proc.exitCode}: ${serverFailure(tail.text())}`, { details: { exitCode: proc.exitCode } });
    }
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 1_000 });
      const service = connection.workflowService;
      stage = 'namespace registration';
      try {
        await service.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: Long.fromNumber((options.retentionDays ?? 1) * 86_400) } });
      } catch (err) {
        if (grpcCode(err) !== ALREADY_EXISTS) throw err;
      }
      stage = 'namespace';
      await service.describeNamespace({ namespace });
      if (options.searchAttributes ?? true) {
        stage = 'search attributes';
        await ensureSearchAttributes(connection, namespace, logger);
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
        const missing = KERNEL_SEARCH_ATTRIBUTES.filter((sa) => !(sa.name in (customAttributes ?? {})));
        if (missing.length > 0) throw new Error(`search attributes not registered yet: ${missing.map((sa) => sa.name).join(', ')}`);
      }
      stage = 'visibility';
      await service.listWorkflowExecutions({ namespace, pageSize: 1 });
      return;
    } catch (err) {
      lastError = err;
      await Bun.sleep(250);
    } finally {
      await connection?.close();
    }
  }
  throw new KernelError('unavailable', `Temporal server at ${address} was not ready within ${timeoutMs} ms (waiting for: ${stage})`, { cause: lastError });
}
