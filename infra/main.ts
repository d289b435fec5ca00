import { isKernelError } from '../kernel/errors';

/** Runs an entry point; a KernelError prints its sentence and exits 2, anything else exits 1. */
export function main(run: () => Promise<void>): void {
  run().catch((err: unknown) => {
    if (isKernelError(err)) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
