/** How much of an error message a log line keeps (messages can quote user input). */
const MESSAGE_CHARS = 240;
const STACK_FRAMES = 8;
const MAX_DEPTH = 3;

/** An error as a log line carries it: type, a bounded message, a code, stack frames and causes — never SQL, parameters or bodies. */
export interface LoggedError {
  type: string;
  message: string;
  code?: string;
  stack?: string;
  cause?: LoggedError;
}

/** The message without SQL text and parameters (drizzle's "Failed query: … params: …"), cut to a bounded length. */
export function redactMessage(message: string): string {
  let m = message;
  const failed = m.indexOf('Failed query:');
  if (failed >= 0) m = `${m.slice(0, failed)}Failed query (SQL and parameters withheld)`;
  m = m.replace(/\bparams: [\s\S]*$/, 'params withheld');
  return m.length > MESSAGE_CHARS ? `${m.slice(0, MESSAGE_CHARS)}… (${m.length} chars)` : m;
}

/** pino serializer for `err`: keeps what helps an operator and drops what can hold secrets or user content. */
export function errorSerializer(err: unknown, depth = 0): LoggedError | unknown {
  if (!(err instanceof Error)) return typeof err === 'string' ? redactMessage(err) : err;
  const code = (err as { code?: unknown }).code;
  const frames = (err.stack ?? '').split('\n').filter((l) => l.trimStart().startsWith('at ')).slice(0, STACK_FRAMES);
  const out: LoggedError = { type: err.name || err.constructor?.name || 'Error', message: redactMessage(err.message) };
  if (typeof code === 'string' || typeof code === 'number') out.code = String(code);
  if (frames.length) out.stack = frames.map((l) => l.trim()).join('\n');
  if (err.cause !== undefined && depth < MAX_DEPTH) out.cause = errorSerializer(err.cause, depth + 1) as LoggedError;
  return out;
}
