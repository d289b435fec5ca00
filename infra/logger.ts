import pino from 'pino';
import { errorSerializer } from './log-redaction';

/** The structured logger: JSON lines on stdout (or `destination`), level from LOG_LEVEL; errors are serialised without SQL, parameters or user content. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', name = 'aok', destination?: pino.DestinationStream): pino.Logger {
  const options: pino.LoggerOptions = { name, level, base: { pid: process.pid }, serializers: { err: errorSerializer, error: errorSerializer } };
  return destination ? pino(options, destination) : pino(options);
}

/** A pino logger. */
export type Logger = pino.Logger;
