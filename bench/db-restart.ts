/**
 * A database that goes away under load: 20 agents of 12 scripted steps on the real Postgres through a
 * proxy that is cut for 8 s and restored. Records the API's answers during the outage (503 vs other
 * 5xx vs none, and how long each took), the time from the database being back to the first completed
 * step and to every agent finished, and whether every step happened exactly once.
 *
 *   bun bench/db-restart.ts
 */
import { summarise } from './stats';
import { writeResult } from './results-file';
import { databaseOutage, outageStack } from '../test/support/db-outage';

const env = await outageStack();
try {
  const r = await databaseOutage(env, { agents: 20, steps: 12, outageMs: 8_000 });
  const count = (f: (s: number | 'none') => boolean) => r.answers.filter((a) => f(a.status)).length;
  const exactlyOnce = r.perAgent.every((a) => a.replies === r.steps && a.replySteps === r.steps && a.bills === r.steps && a.completions === r.steps && a.completionSteps === r.steps && a.status === 'completed');
  const result = {
    agents: r.agents,
    steps: r.steps,
    outageMs: r.outageMs,
    requests: r.answers.length,
    answered503: count((s) => s === 503),
    answeredOther5xx: count((s) => s !== 'none' && s >= 500 && s !== 503),
    unanswered: count((s) => s === 'none'),
    answerMs: summarise(r.answers.map((a) => a.ms)),
    answerMsByRequest: Object.fromEntries([...new Set(r.answers.map((a) => a.what))].map((w) => [w, summarise(r.answers.filter((a) => a.what === w).map((a) => a.ms))])),
    firstStepAfterBackMs: r.firstStepAfterBackMs,
    allFinishedAfterBackMs: r.allFinishedAfterBackMs,
    everyStepExactlyOnce: exactlyOnce,
    retriedSpawn: r.retriedSpawn,
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(`wrote ${writeResult('db-restart', result)}`);
} finally {
  await env.stop();
}
process.exit(0);
