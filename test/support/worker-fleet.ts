import { afterAll, beforeAll } from 'bun:test';
import type { Stack } from '../../infra/stack';
import type { Config } from '../../kernel/config';
import { startFakeLlm } from './fake-llm';
import { nodeProcesses } from './nodes';
import { startTestStack } from './stack';

/** A file's API-only stack on Postgres, worker processes the test starts, and a fake OpenAI-compatible provider they all call. */
export interface WorkerFleet {
  fake: ReturnType<typeof startFakeLlm>;
  workers: ReturnType<typeof nodeProcesses>;
  stack(): Stack & { config: Config; databaseUrl: string | undefined };
  /** What a worker process needs to reach the fake provider. */
  providerEnv(): Record<string, string>;
}

/** Starts the fleet in beforeAll and stops all of it in afterAll. */
export function useWorkerFleet(): WorkerFleet {
  const fake = startFakeLlm();
  let stack: (Stack & { config: Config; databaseUrl: string | undefined }) | undefined;
  const workers = nodeProcesses(() => stack!);
  beforeAll(async () => {
    stack = await startTestStack({ database: 'postgres', worker: false, env: { OPENAI_BASE_URL: `${fake.url}/v1` } });
  });
  afterAll(async () => {
    await workers.stopAll();
    await stack?.stop();
    await fake.stop();
  });
  return { fake, workers, stack: () => stack!, providerEnv: () => ({ OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: 'test-key' }) };
}
