/** The exit codes `aos` promises scripts (also in `aos --help` and the README). */
export const EXIT = {
  ok: 0,
  /** The API answered with a server error, or something unexpected happened. */
  failed: 1,
  /** The command line was wrong (an unknown verb or option, a missing argument, a bad value). */
  usage: 2,
  /** What was named does not exist (or belongs to another tenant). */
  notFound: 3,
  /** No key, a bad key, or a key without the scope the verb needs. */
  denied: 4,
  /** The request was refused as it stands (a 400 or 409: bad input, or not in that state). */
  refused: 5,
  /** The API, or Temporal behind it, cannot be reached. */
  unavailable: 6,
  /** The key's rate or the tenant's cap is spent (429). */
  rateLimited: 7,
  /** A wait ended with the agent (crew, batch) failed, terminated or cancelled. */
  agentFailed: 8,
} as const;

/** An error `aos` reports as one sentence on stderr and a promised exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The exit code for an HTTP error status. */
export function exitCodeOf(status: number): number {
  if (status === 404) return EXIT.notFound;
  if (status === 401 || status === 403) return EXIT.denied;
  if (status === 429) return EXIT.rateLimited;
  if (status === 503 || status === 502 || status === 504) return EXIT.unavailable;
  if (status >= 400 && status < 500) return EXIT.refused;
  return EXIT.failed;
}
