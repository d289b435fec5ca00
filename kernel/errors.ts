/** Machine-readable error codes used across the kernel, API and CLI. */
export type KernelErrorCode =
  | 'invalid_config'
  | 'invalid_input'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable'
  | 'temporal_cli_missing'
  | 'tool_missing'
  | 'internal';

const STATUS_BY_CODE: Record<KernelErrorCode, number> = {
  invalid_config: 500,
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  temporal_cli_missing: 500,
  tool_missing: 500,
  internal: 500,
};

/** Optional extra fields carried by a {@link KernelError}. */
export interface KernelErrorOptions {
  /** Overrides the HTTP status derived from the code. */
  status?: number;
  /** The underlying error. */
  cause?: unknown;
  /** Structured detail, e.g. zod issues, rendered into the problem body. */
  details?: unknown;
  /** For `unavailable` and `rate_limited`: seconds after which a retry may succeed (the HTTP Retry-After header). */
  retryAfterS?: number;
}

/** The one typed error of the kernel: a code, an HTTP status, a sentence and a cause. */
export class KernelError extends Error {
  override readonly name = 'KernelError';
  readonly code: KernelErrorCode;
  readonly status: number;
  readonly details: unknown;
  readonly retryAfterS: number | undefined;

  constructor(code: KernelErrorCode, message: string, options: KernelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? STATUS_BY_CODE[code];
    this.details = options.details;
    this.retryAfterS = options.retryAfterS;
  }
}

/** True when `err` is a {@link KernelError}, optionally of the given code. */
export function isKernelError(err: unknown, code?: KernelErrorCode): err is KernelError {
  return err instanceof KernelError && (code === undefined || err.code === code);
}

/** The innermost message of an error chain (Temporal wraps causes: "Activity task failed" → the real reason). */
export function rootMessage(err: unknown): string {
  let current: unknown = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
