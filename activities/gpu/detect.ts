import { parseSmiOutput } from '../../kernel/gpu/parse';
import { parseTopology, type Topology } from '../../kernel/gpu/topology';
import type { GpuInventory } from '../../kernel/gpu/types';

/**
 * How detection went: an inventory; `absent` when the node has no `nvidia-smi` (a node without GPUs,
 * which is normal); or an error sentence naming the command and what was wrong with its output.
 */
export type Detection = { inventory: GpuInventory; error: null } | { inventory: null; error: string; absent: boolean };

/** Runs a command and returns its stdout, or the sentence of why it could not. */
async function run(command: string, timeoutMs: number): Promise<{ out: string } | { error: string; absent: boolean }> {
  const argv = command.split(/\s+/).filter(Boolean);
  if (argv.length === 0) return { error: 'no nvidia-smi command configured', absent: true };
  if (!Bun.which(argv[0]!)) return { error: `${argv[0]} is not installed`, absent: true };
  try {
    const proc = Bun.spawn(argv, { stdout: 'pipe', stderr: 'pipe', timeout: timeoutMs });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) return { error: `${command} exited ${code}${proc.signalCode ? ` (${proc.signalCode}: no answer within ${timeoutMs} ms?)` : ''}: ${(err.trim() || out.trim()).slice(0, 300)}`, absent: false };
    return { out };
  } catch (err) {
    return { error: `${command}: ${(err as Error).message}`, absent: false };
  }
}

/**
 * Runs the configured `nvidia-smi` command (XML `-q -x` or a CSV query) and parses its output. A
 * missing binary is "no GPUs"; a failing command or output that is malformed or cut off is an
 * error naming the command and what was wrong — the node keeps its last good inventory.
 */
export async function detectGpus(command: string, timeoutMs = 10_000): Promise<Detection> {
  const ran = await run(command, timeoutMs);
  if ('error' in ran) return { inventory: null, error: ran.error, absent: ran.absent };
  try {
    return { inventory: parseSmiOutput(ran.out), error: null };
  } catch (err) {
    return { inventory: null, error: `${command}: ${(err as Error).message}`, absent: false };
  }
}

/** The GPU link matrix from `nvidia-smi topo -m`, or null when it cannot be read (topology is only a tie-breaker). */
export async function detectTopology(command: string | undefined, timeoutMs = 10_000): Promise<Topology | null> {
  if (!command) return null;
  const ran = await run(command, timeoutMs);
  return 'out' in ran ? parseTopology(ran.out) : null;
}
