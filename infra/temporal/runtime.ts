import { type LogLevel, type LogMetadata, Runtime } from '@temporalio/worker';
import type { Logger } from '../logger';

let installed = false;

/** Routes the Temporal SDK's (and its Rust core's) logs into our pino logger; once per process. */
export function installTemporalRuntime(logger: Logger): void {
  if (installed) return;
  installed = true;
  const child = logger.child({ component: 'temporal' });
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
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
  });
}
