import { parseSmiOutput } from '../../kernel/gpu/parse';
import type { GpuInventory } from '../../kernel/gpu/types';

/** How detection went: the inventory, or why there is none. */
export type Detection = { inventory: GpuInventory; error: null } | { inventory: GpuInventory; error: string };

const NONE: GpuInventory = { driverVersion: null, gpus: [] };

/**
 * Runs the configured `nvidia-smi` command (XML `-q -x` or a CSV query) and parses its output. A
 * missing binary, a failing command or unreadable output means "no GPUs", with the reason — a
 * node without GPUs is normal, never a crash.
 */
export async function detectGpus(command: string, timeoutMs = 10_000): Promise<Detection> {
  const argv = command.split(/\s+/).filter(Boolean);
  if (argv.length === 0) return { inventory: NONE, error: 'no nvidia-smi command configured' };
  if (!Bun.which(argv[0]!)) return { inventory: NONE, error: `${argv[0]} is not installed` };
  try {
    const proc = Bun.spawn(argv, { stdout: 'pipe', stderr: 'pipe', timeout: timeoutMs });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) return { inventory: NONE, error: `${command} exited ${code}: ${err.trim().slice(0, 300)}` };
    return { inventory: parseSmiOutput(out), error: null };
  } catch (err) {
    return { inventory: NONE, error: `${command}: ${(err as Error).message}` };
  }
}
