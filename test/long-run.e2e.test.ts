import { expect, setDefaultTimeout, test } from 'bun:test';
import { temporal } from '@temporalio/proto';
import { useStack } from './support/suite';

// This suite starts real servers; bun's 5 s default is too short for its hooks.
setDefaultTimeout(120_000);

const suite = useStack({ database: 'postgres' });

test('a 1,000-step agent finishes with every run’s history under 5 MB', async () => {
  const a = await suite.agents.spawn({ name: 'marathon', model: 'scripted:1000', constraints: { maxSteps: 1000, maxTokensPerStep: 32, maxTotalTokens: 100_000_000 } });
  const done = await suite.agents.settle(a.id);
  expect(done).toMatchObject({ status: 'completed', step: 1000, exitReason: 'final_answer' });

  const runs = [];
  for await (const execution of suite.stack.client.workflow.list({ query: `WorkflowId = "${a.id}"` })) runs.push(execution.runId);
  expect(runs.length).toBeGreaterThan(1);
  let events = 0;
  for (const runId of runs) {
    const history = await suite.stack.client.workflow.getHandle(a.id, runId).fetchHistory();
    const bytes = temporal.api.history.v1.History.encode(history).finish().length;
    expect(bytes).toBeLessThan(5 * 1024 * 1024);
    events += history.events?.length ?? 0;
  }
  expect(events).toBeGreaterThan(1000);
}, 600_000);
