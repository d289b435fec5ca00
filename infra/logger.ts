import pino from 'pino';

/** The structured logger: JSON lines on stdout, level from LOG_LEVEL. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', name = 'aok'): pino.Logger {
  return pino({ name, level, base: { pid: process.pid } });
}

/** A pino logger. */
export type Logger = pino.Logger;
