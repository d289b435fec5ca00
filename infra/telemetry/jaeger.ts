import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KernelError } from '../../kernel/errors';
import { cacheDir, type ProgressSink } from '../temporal/binary';
import { freePort } from '../free-port';

/** The pinned Jaeger (v2: an OpenTelemetry collector with Jaeger's storage, query API and UI). */
export const JAEGER_VERSION = 'v1.76.0';
const MODULE = 'github.com/jaegertracing/jaeger/cmd/jaeger';

const stderrProgress: ProgressSink = (l) => process.stderr.write(`${l}\n`);

/** Runs a command to completion, throwing a sentence when it fails. */
async function run(cmd: string[], cwd: string, env: Record<string, string | undefined>): Promise<void> {
  const proc = Bun.spawn(cmd, { cwd, env, stdout: 'inherit', stderr: 'inherit' });
  const code = await proc.exited;
  if (code !== 0) throw new KernelError('tool_missing', `\`${cmd.join(' ')}\` failed (exit ${code}); is the Go module proxy reachable?`);
}

/**
 * Finds Jaeger: `$JAEGER_PATH`, then `jaeger` on PATH, then the cache, else builds the pinned version
 * once from the Go module proxy (`go get -tool` in a small module under the cache: its `replace`-free
 * module graph builds this way; ~10 minutes the first time).
 */
export async function resolveJaegerBinary(env: Record<string, string | undefined> = process.env, progress: ProgressSink = stderrProgress): Promise<string> {
  if (env.JAEGER_PATH) {
    if (existsSync(env.JAEGER_PATH)) return env.JAEGER_PATH;
    throw new KernelError('tool_missing', `JAEGER_PATH points at ${env.JAEGER_PATH}, which does not exist.`);
  }
  const onPath = Bun.which('jaeger', { PATH: env.PATH ?? '' });
  if (onPath) return onPath;
  const dir = join(cacheDir(env), 'jaeger');
  const binary = join(dir, 'bin', 'jaeger');
  if (existsSync(binary)) return binary;
  const go = Bun.which('go', { PATH: env.PATH ?? '' });
  if (!go) throw new KernelError('tool_missing', `No Jaeger and no Go toolchain to build it: install Go, or set JAEGER_PATH to a Jaeger ${JAEGER_VERSION} binary.`);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  progress(`building Jaeger ${JAEGER_VERSION} from the Go module proxy into ${dir} (once; about ten minutes)…`);
  if (!existsSync(join(dir, 'go.mod'))) await run([go, 'mod', 'init', 'aok-jaeger-tool'], dir, env);
  await run([go, 'get', '-tool', `${MODULE}@${JAEGER_VERSION}`], dir, env);
  await run([go, 'build', '-o', binary, MODULE], dir, env);
  progress(`built ${binary}`);
  return binary;
}

/** A running Jaeger: where to send spans, where to look at them, and how to stop it. */
export interface Jaeger {
  /** The OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT). */
  otlpEndpoint: string;
  /** The UI and its query API (`/api/traces`, `/api/services`). */
  uiUrl: string;
  stop(): Promise<void>;
}

/** The collector config: OTLP/HTTP in, in-memory storage, the query API and UI; nothing else listens. */
function configYaml(otlpPort: number, uiPort: number, grpcPort: number, host: string): string {
  return `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: ${host}:${uiPort}
    grpc:
      endpoint: ${host}:${grpcPort}
receivers:
  otlp:
    protocols:
      http:
        endpoint: ${host}:${otlpPort}
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

/**
 * Starts Jaeger with in-memory storage: OTLP/HTTP on `otlpPort` and the UI on `uiPort` (free ports
 * when omitted), and waits until its query API answers.
 */
export async function startJaeger(options: { otlpPort?: number; uiPort?: number; host?: string; dataDir?: string } = {}): Promise<Jaeger> {
  const binary = await resolveJaegerBinary();
  const host = options.host ?? '127.0.0.1';
  const otlpPort = options.otlpPort ?? (await freePort(host));
  const uiPort = options.uiPort ?? (await freePort(host));
  const grpcPort = await freePort(host);
  const dir = options.dataDir ?? join(cacheDir(), 'jaeger', 'run');
  mkdirSync(dir, { recursive: true });
  const config = join(dir, `config-${otlpPort}.yaml`);
  writeFileSync(config, configYaml(otlpPort, uiPort, grpcPort, host));
  const proc = Bun.spawn([binary, `--config=file:${config}`], { stdout: 'ignore', stderr: 'pipe' });
  const uiUrl = `http://${host}:${uiPort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) {
      const err = await new Response(proc.stderr).text();
      throw new KernelError('unavailable', `Jaeger exited (code ${proc.exitCode}) before answering: ${err.slice(-500)}`);
    }
    try {
      const res = await fetch(`${uiUrl}/api/services`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      proc.kill();
      throw new KernelError('unavailable', `Jaeger did not answer on ${uiUrl} within 30 s.`);
    }
    await Bun.sleep(100);
  }
  // Read its (warn-level) log so a full pipe never blocks it.
  void new Response(proc.stderr).text().catch(() => undefined);
  return {
    otlpEndpoint: `http://${host}:${otlpPort}`,
    uiUrl,
    // Its storage is in memory: a graceful stop (which waits out idle client connections, ~20 s)
    // buys nothing after two seconds.
    stop: async () => {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 2_000);
      await proc.exited;
      clearTimeout(timer);
    },
  };
}
