import { afterAll, beforeAll } from 'bun:test';
import { agentClient } from './agent-client';
import { startTestStack } from './stack';

/** A suite's stack: a real dev server, a fresh database, a node and the API, started once per file. */
export interface Suite {
  stack: Awaited<ReturnType<typeof startTestStack>>;
  agents: ReturnType<typeof agentClient>;
}

/** Starts one stack for the file in beforeAll and stops it in afterAll; read `suite.stack` inside tests. */
export function useStack(options: Parameters<typeof startTestStack>[0]): Suite {
  const suite = {} as Suite;
  beforeAll(async () => {
    suite.stack = await startTestStack(options);
    suite.agents = agentClient(suite.stack);
  });
  afterAll(() => suite.stack?.stop());
  return suite;
}
