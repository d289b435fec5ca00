import { afterAll, beforeAll, expect, test } from 'bun:test';
import { temporal } from '@temporalio/proto';
import type { Stack } from '../infra/stack';
import { agentClient } from './support/agent-client';
import { startTestStack } from './support/stack';

let stack: Stack;
let agents: ReturnType<typeof agentClient>;
beforeAll(async () => {
  stack = await startTestStack({ database: 'postgres' });
  agents = agentClient(stack);
});
afterAll(() => stack?.stop());

test('a 1,000-step agent finishes with every run’s history under 5 MB', async () => {
  const a = await agents.spawn({ name: 'marathon', model: 'scripted:1000', constraints: { maxSteps: 1000, maxTokensPerStep: 32 } });
  const done = await agents.settle(a.id);
  expect(done).toMatchObject({ status: 'completed', step: 1000, exitReason: 'final_answer' });

  const runs = [];
  for await (const execution of stack.client.workflow.list({ query: `WorkflowId = "${a.id}"` })) runs.push(execution.runId);
  expect(runs.length).toBeGreaterThan(1);
  let events = 0;
  for (const runId of runs) {
    const history = await stack.client.workflow.getHandle(a.id, runId).fetchHistory();
    const bytes = temporal.api.history.v1.History.encode(history).finish().length;
    expect(bytes).toBeLessThan(5 * 1024 * 1024);
    events += history.events?.length ?? 0;
  }
  expect(events).toBeGreaterThan(1000);
}, 600_000);
