import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Connection } from '@temporalio/client';
import { isKernelError, KernelError } from '../../kernel/errors';
import { KERNEL_SEARCH_ATTRIBUTES } from '../../kernel/search-attributes';
import { freePort, portIsFree } from '../free-port';
import { resolveTemporalBinary } from './binary';

/** How to start a local Temporal dev server. */
export interface DevServerOptions {
  /** SQLite file for durable state; omitted → a temp file removed on stop (tests). */
  dbFile?: string;
  /** Preferred frontend port; taken or omitted → a free one. */
  port?: number;
  /** Preferred Web UI port; taken or omitted → a free one. */
  uiPort?: number;
  /** Serve the Web UI (default true). */
  ui?: boolean;
  namespace?: string;
  /** Pre-register the kernel's search attributes (default true; false mimics a bare cluster). */
  searchAttributes?: boolean;
  /**
   * The server's tuning: `kernel` (default) passes the poll-rate keys of {@link KERNEL_DYNAMIC_CONFIG}
   * and the WAL pragmas; `stock` passes only the matcher keys the kernel needs for priority, as the
   * dev server was before the dispatch fix (bench/floor.ts measures both).
   */
  tuning?: 'kernel' | 'stock';
  /** How long to wait for the server to answer (default 60 s). */
  readyTimeoutMs?: number;
}

/** A running dev server. */
export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  namespace: string;
  pid: number;
  /** Stops the server (SIGTERM, then SIGKILL) and removes a temp database. Idempotent. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/**
 * Server settings the kernel relies on. Priority keys and fairness keys are honoured only by the
 * new matcher (off by default in server 1.29); one partition keeps dev-server ordering exact.
 * A production cluster needs the first two set in its dynamic config too.
 */
export const KERNEL_DYNAMIC_CONFIG = [
  'matching.useNewMatcher=true',
  'matching.enableFairness=true',
  'matching.numTaskqueueReadPartitions=1',
  'matching.numTaskqueueWritePartitions=1',
  // The history service's queue processors poll at most 20 times a second by default: under sustained
  // work every task then waits ~50 ms for the next poll, twice per step. Raised, a bare step drops from
  // ~105 ms to ~15–25 ms on this dev server (issue 12's measurement).
  'history.transferProcessorMaxPollRPS=10000',
  'history.timerProcessorMaxPollRPS=10000',
  'history.visibilityProcessorMaxPollRPS=10000',
  'history.outboundProcessorMaxPollRPS=10000',
] as const;

/** SQLite settings for the dev server's store: write-ahead logging, fewer fsyncs (a dev store, not a production one). */
export const DEV_SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'] as const;

async function pickPort(preferred: number | undefined): Promise<number> {
  if (preferred && (await portIsFree(preferred, HOST))) return preferred;
  return freePort(HOST);
}

/** How many times a server that exits while starting is tried again on fresh ports. */
const START_ATTEMPTS = 3;

/**
 * Starts `temporal server start-dev` on free ports and resolves once its frontend answers.
 * The dev server picks its internal ports itself, racing any other process on the machine; a server
 * that exits while starting is tried again on fresh ports, up to three times.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(options, attempt > 1);
    } catch (err) {
      lastError = err;
      if (!exitedWhileStarting(err)) throw err;
    }
  }
  throw lastError;
}

/** True when the server process ended before it answered (a port taken in a race, usually). */
function exitedWhileStarting(err: unknown): boolean {
  return isKernelError(err) && typeof (err.details as { exitCode?: unknown } | undefined)?.exitCode === 'number';
}

async function startOnce(options: DevServerOptions, freshPorts: boolean): Promise<DevServer> {
  const binary = await resolveTemporalBinary();
  const namespace = options.namespace ?? 'default';
  const ui = options.ui ?? true;
  const port = await pickPort(freshPorts ? undefined : options.port);
  const uiPort = ui ? await pickPort(freshPorts || options.uiPort === port ? undefined : options.uiPort) : undefined;
  const tempDir = options.dbFile ? undefined : mkdtempSync(join(tmpdir(), 'aok-temporal-'));
  const dbFile = options.dbFile ?? join(tempDir as string, 'temporal.db');
  mkdirSync(dirname(dbFile), { recursive: true });

  const args = [binary, 'server', 'start-dev', '--ip', HOST, '--port', String(port), '--db-filename', dbFile,
    '--namespace', namespace, '--log-level', 'error'];
  if (uiPort) args.push('--ui-port', String(uiPort));
  else args.push('--headless');
  const stock = options.tuning === 'stock';
  for (const setting of KERNEL_DYNAMIC_CONFIG) if (!stock || !setting.startsWith('history.')) args.push('--dynamic-config-value', setting);
  if (!stock) for (const pragma of DEV_SQLITE_PRAGMAS) args.push('--sqlite-pragma', pragma);
  if (options.searchAttributes ?? true) for (const sa of KERNEL_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${sa.name}=${sa.type}`);

  const proc = Bun.spawn(args, { stdout: 'ignore', stderr: 'pipe' });
  // The server's stderr is read all the time (a full pipe would block the server); the last part is
  // kept to say why it stopped, and written to DEV_SERVER_LOG when set.
  const tail = drainTail(proc.stderr, process.env.TEMPORAL_DEV_SERVER_LOG);
  const killOnExit = () => proc.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', killOnExit);
    proc.kill('SIGTERM');
    const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(10_000).then(() => false)]);
    if (!exited) {
      proc.kill('SIGKILL');
      await proc.exited;
    }
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };

  // A server that stops by itself (not through stop()) says so, with the end of its output.
  void proc.exited.then((code) => {
    if (!stopped) process.stderr.write(`temporal dev server exited unexpectedly (code ${code}):\n${startFailure(tail.text())}\n`);
  });
  const address = `${HOST}:${port}`;
  try {
    await waitUntilReady(address, namespace, proc, tail, options.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, uiUrl: uiPort ? `http://${HOST}:${uiPort}` : undefined, namespace, pid: proc.pid, stop };
}

/** Reads a stream to its end, keeping its last 16 KB (and appending everything to `file`, when given). */
function drainTail(stream: ReadableStream<Uint8Array>, file?: string): { text(): string; done: Promise<void> } {
  let kept = '';
  const decoder = new TextDecoder();
  const sink = file ? Bun.file(file).writer() : undefined;
  const done = (async () => {
    for await (const chunk of stream) {
      kept = (kept + decoder.decode(chunk, { stream: true })).slice(-16_384);
      sink?.write(chunk);
    }
    await sink?.end();
  })();
  return { text: () => kept, done };
}

async function waitUntilReady(address: string, namespace: string, proc: Bun.Subprocess<'ignore', 'ignore', 'pipe'>, tail: { text(): string; done: Promise<void> }, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) {
      await Promise.race([tail.done, Bun.sleep(1_000)]);
      const stderr = tail.text();
      throw new KernelError('unavailable', `temporal server start-dev exited with code ${proc.exitCode}: ${startFailure(stderr)}`, { details: { exitCode: proc.exitCode } });
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await Bun.sleep(200);
    }
  }
  throw new KernelError('unavailable', `Temporal dev server at ${address} did not answer within ${timeoutMs} ms`, { cause: lastError });
}

/** The lines of a failed start that say why (Go panics print the reason first, then a long stack). */
export function startFailure(stderr: string): string {
  const lines = stderr.trim().split('\n');
  const reason = lines.filter((l) => /panic|error|fatal|address already in use/i.test(l) && !l.startsWith('\t')).slice(0, 5);
  return [...reason, ...(reason.length ? ['…'] : []), ...lines.slice(-8)].join('\n').slice(0, 4_000);
}
