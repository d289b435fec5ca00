import type { Stack } from '../../infra/stack';
import type { Config } from '../../kernel/config';
import { TEST_AUTH_ENV } from './keys';

/** The fixtures folder of real `nvidia-smi` outputs (read from ../shared at run time). */
export const SMI_FIXTURES = new URL('../../../shared/fixtures/nvidia-smi/', import.meta.url).pathname;

/** A `bun run worker` process: a real node against the test stack's Temporal and Postgres. */
export interface NodeProcess {
  id: string;
  proc: Bun.Subprocess;
  /** SIGKILL: no deregistration, no graceful shutdown. */
  kill(): Promise<void>;
  /** SIGTERM: a clean stop (the node deregisters). */
  stop(): Promise<void>;
}

/** Starts worker processes for a test file and stops every one of them at the end. */
export function nodeProcesses(stack: () => Stack & { config: Config; databaseUrl: string | undefined }) {
  const started: NodeProcess[] = [];
  return {
    start(env: Record<string, string> = {}): NodeProcess {
      const s = stack();
      const proc = Bun.spawn(['bun', 'bin/worker.ts'], {
        cwd: new URL('../..', import.meta.url).pathname,
        env: { ...process.env, TEMPORAL_ADDRESS: s.temporal.address, DATABASE_URL: s.databaseUrl!, TASK_QUEUE: s.config.TASK_QUEUE, LOG_LEVEL: process.env.NODE_LOG_LEVEL ?? 'error', ...TEST_AUTH_ENV, ...env },
        stdout: process.env.NODE_LOG_LEVEL ? 'inherit' : 'ignore',
        stderr: 'inherit',
      });
      const node: NodeProcess = {
        id: env.NODE_ID ?? `pid-${proc.pid}`,
        proc,
        async kill() {
          proc.kill('SIGKILL');
          await proc.exited;
        },
        async stop() {
          proc.kill('SIGTERM');
          await proc.exited;
        },
      };
      started.push(node);
      return node;
    },
    async stopAll() {
      for (const n of started) n.proc.kill('SIGKILL');
      await Promise.all(started.map((n) => n.proc.exited));
    },
  };
}
