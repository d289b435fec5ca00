import { type LogLevel, type LogMetadata, Runtime } from '@temporalio/worker';
import type { Logger } from '../logger';

let installed = false;
let metricsUrl: string | undefined;

/** Where the Temporal SDK core serves its own Prometheus metrics (workers' polls, slots, schedule-to-start latency), once installed. */
export function temporalRuntimeMetricsUrl(): string | undefined {
  return metricsUrl;
}

/**
 * A free loopback port, found synchronously (the runtime is installed before anything awaits). It is
 * taken below Linux's ephemeral range (32768+): the SDK core binds it again whenever it recreates its
 * runtime, and a port-0 listener elsewhere in the process must never have been handed it meanwhile.
 */
function freePortNow(): number {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      const probe = Bun.listen({ hostname: '127.0.0.1', port, socket: { data() {} } });
      probe.stop(true);
      return port;
    } catch {
      // Taken: try another.
    }
  }
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/**
 * Routes the Temporal SDK's (and its Rust core's) logs into our pino logger, and has the core serve
 * its metrics on a loopback port that `/metrics` appends to the kernel's own; once per process.
 */
export function installTemporalRuntime(logger: Logger): void {
  if (installed) return;
  installed = true;
  const child = logger.child({ component: 'temporal' });
  const port = freePortNow();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  // LLM-only workers poll no workflows by design; the SDK warns about it at every start.
  const expected = (message: string) => message.startsWith('No workflows registered') || message.startsWith('No Nexus services registered');
  const emit = (level: LogLevel, message: string, meta?: LogMetadata) => {
    if (expected(message)) level = 'DEBUG';
    const fn = { TRACE: child.trace, DEBUG: child.debug, INFO: child.info, WARN: child.warn, ERROR: child.error }[level];
    fn.call(child, meta ?? {}, message);
  };
  Runtime.install({
    logger: {
      log: emit,
      trace: (m, meta) => emit('TRACE', m, meta),
      debug: (m, meta) => emit('DEBUG', m, meta),
      info: (m, meta) => emit('INFO', m, meta),
      warn: (m, meta) => emit('WARN', m, meta),
      error: (m, meta) => emit('ERROR', m, meta),
    },
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } },
    },
  });
}
