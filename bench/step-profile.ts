/**
 * Where a kernel step's time goes: the light agent of `step-overhead.ts` and the bare baseline,
 * alternating, with every Postgres statement counted (by kind) and each workflow's history split
 * into dispatch (scheduled → started) and run time (started → completed) for activities and
 * workflow tasks. Run it under `bun --cpu-prof-md` to see where the worker's CPU goes.
 *
 *   bun bench/step-profile.ts [--runs 6] [--steps 20]
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../infra/logger';
import { startStack } from '../infra/stack';
import { loadConfig } from '../kernel/config';
import { createTestDatabase } from '../test/support/postgres';
import { TEST_AUTH_ENV } from '../test/support/keys';
import { scriptedAgent, startBenchNode } from './bench-node';
import { breakdown, type HistoryBreakdown } from './history-breakdown';
import { writeResult } from './results-file';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '6' }, steps: { type: 'string', default: '20' } } });
const runs = Number(values.runs);
const steps = Number(values.steps);

/** Statements by kind (first words, table names kept), counted while `counting` is on. */
const statements = new Map<string, number>();
let counting = false;
let total = 0;
const kindOf = (q: string) => q.replace(/\s+/g, ' ').trim().slice(0, 90);

const fresh = await createTestDatabase();
const config = loadConfig({ LOG_LEVEL: 'warn', ...TEST_AUTH_ENV, TASK_QUEUE: 'bench-step-profile' });
const stack = await startStack({
  config,
  logger: createLogger('warn'),
  database: {
    url: fresh.url,
    onQuery: (q) => {
      if (!counting) return;
      total++;
      const k = kindOf(q);
      statements.set(k, (statements.get(k) ?? 0) + 1);
    },
  },
  devServer: { ui: false },
  worker: false,
  api: false,
});

const add = (a: HistoryBreakdown, b: HistoryBreakdown): HistoryBreakdown => ({
  events: a.events + b.events,
  activityQueueMs: a.activityQueueMs + b.activityQueueMs,
  activityRunMs: a.activityRunMs + b.activityRunMs,
  workflowTaskQueueMs: a.workflowTaskQueueMs + b.workflowTaskQueueMs,
  workflowTaskRunMs: a.workflowTaskRunMs + b.workflowTaskRunMs,
  activities: a.activities + b.activities,
  workflowTasks: a.workflowTasks + b.workflowTasks,
});
const ZERO: HistoryBreakdown = { events: 0, activityQueueMs: 0, activityRunMs: 0, workflowTaskQueueMs: 0, workflowTaskRunMs: 0, activities: 0, workflowTasks: 0 };
const perStep = (b: HistoryBreakdown, wall: number, n: number) => ({
  wallMs: round(wall / n),
  eventsPerStep: round(b.events / n),
  activityQueueMs: round(b.activityQueueMs / n),
  activityRunMs: round(b.activityRunMs / n),
  workflowTaskQueueMs: round(b.workflowTaskQueueMs / n),
  workflowTaskRunMs: round(b.workflowTaskRunMs / n),
  unaccountedMs: round((wall - b.activityQueueMs - b.activityRunMs - b.workflowTaskQueueMs - b.workflowTaskRunMs) / n),
});
const round = (x: number) => Math.round(x * 100) / 100;

try {
  const { node, connection } = await startBenchNode(stack, config);
  const running = node.run();
  let agent = ZERO;
  let bare = ZERO;
  let agentWall = 0;
  let bareWall = 0;
  try {
    for (let i = 0; i < runs + 1; i++) {
      const id = `profile-agent-${i}-${Date.now()}`;
      const scripted = await scriptedAgent(stack, config.TASK_QUEUE, id, steps);
      counting = i > 0;
      let t = performance.now();
      await (await scripted.start()).result();
      const a = performance.now() - t;
      counting = false;
      const bareId = `profile-bare-${i}-${Date.now()}`;
      t = performance.now();
      await stack.client.workflow.execute('bareWorkflow', { workflowId: bareId, taskQueue: config.TASK_QUEUE, args: [steps + 1] });
      const b = performance.now() - t;
      if (i === 0) continue;
      agentWall += a;
      bareWall += b;
      agent = add(agent, breakdown(await stack.client.workflow.getHandle(id).fetchHistory()));
      bare = add(bare, breakdown(await stack.client.workflow.getHandle(bareId).fetchHistory()));
      process.stderr.write(`run ${i}/${runs}: agent ${(a / steps).toFixed(1)} ms/step, bare ${(b / steps).toFixed(1)} ms/step\n`);
    }
  } finally {
    node.shutdown();
    await running;
    await connection.close();
  }
  const n = runs * steps;
  const byKind = [...statements].sort((x, y) => y[1] - x[1]).map(([statement, count]) => ({ statement, perStep: round(count / n) }));
  const result = { runs, steps, agent: perStep(agent, agentWall, n), bare: perStep(bare, bareWall, n), statementsPerStep: round(total / n), statements: byKind };
  console.log(JSON.stringify(result, null, 2));
  console.log(`wrote ${writeResult('step-profile', result)}`);
} finally {
  await stack.stop();
  await fresh.drop();
}
process.exit(0);
