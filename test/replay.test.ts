import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { testBundle } from './support/stack';

// This suite starts real servers; bun's 5 s default is too short for its hooks.
setDefaultTimeout(120_000);

const dir = new URL('./histories', import.meta.url).pathname;
const histories = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown }));

async function replayAll(workflowBundle: { code: string }) {
  const results = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle }, histories)) results.push(r);
  return results;
}

describe('recorded histories replay against today’s workflow code', () => {
  test('there are recorded histories to replay', () => {
    expect(histories.length).toBeGreaterThanOrEqual(3);
  });

  test('every recorded history replays without non-determinism', async () => {
    const results = await replayAll(await testBundle());
    expect(results).toHaveLength(histories.length);
    for (const r of results) expect({ id: r.workflowId, error: r.error }).toEqual({ id: r.workflowId, error: undefined });
  });

  test('a drifted workflow is caught as non-deterministic', async () => {
    const drifted = await bundleWorkflowCode({
      workflowsPath: new URL('./support/drifted-workflows.ts', import.meta.url).pathname,
      logger: new DefaultLogger('WARN'),
    });
    const results = await replayAll(drifted);
    expect(results.length).toBe(histories.length);
    for (const r of results) expect(r.error).toBeInstanceOf(DeterminismViolationError);
  });
});
