/**
 * What tracing costs a step: the light agent (20 scripted steps, started on the client) on a node
 * with tracing off, and on a node with tracing on exporting every span to a real Jaeger over
 * OTLP/HTTP — same dev server, same database, same run, alternating. Tracing is process-wide, so
 * each side runs in its own child process (the parent starts the servers and alternates them).
 *
 *   bun bench/tracing-overhead.ts [--rounds 6] [--agents 6]
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../infra/logger';
import { startStack } from '../infra/stack';
import { startJaeger } from '../infra/telemetry/jaeger';
import { startDevServer } from '../infra/temporal/dev-server';
import { loadConfig } from '../kernel/config';
import { createTestDatabase } from '../test/support/postgres';
import { TEST_AUTH_ENV } from '../test/support/keys';
import { scriptedAgent } from './bench-node';
import { writeResult } from './results-file';
import { summarise } from './stats';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '6' }, agents: { type: 'string', default: '6' }, child: { type: 'string' } } });
const STEPS = 20;

/** Agents each child runs first, unmeasured (a fresh process's JIT and pools warm up). */
const WARMUP = 3;

/** One side of the comparison: a node in this process, `agents` light agents after the warm-up; prints ms per step as JSON. */
async function child(): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn', ...TEST_AUTH_ENV, TASK_QUEUE: `bench-tracing-${values.child}-${process.pid}` });
  const stack = await startStack({ config, logger: createLogger('warn'), devServer: false, api: false });
  const perStep: number[] = [];
  try {
    for (let i = 0; i < WARMUP + Number(values.agents); i++) {
      const agent = await scriptedAgent(stack, config.TASK_QUEUE, `bench-tracing-${values.child}-${process.pid}-${i}`, STEPS);
      const t = performance.now();
      await (await agent.start()).result();
      if (i >= WARMUP) perStep.push((performance.now() - t) / STEPS);
    }
    await stack.tracing?.flush();
    process.stdout.write(`${JSON.stringify({ perStep, spans: stack.tracing ? { exported: stack.tracing.counts.exported, dropped: stack.tracing.counts.dropped } : null })}\n`);
  } finally {
    await stack.stop();
  }
}

if (values.child) {
  await child();
  process.exit(0);
}

const dev = await startDevServer({ ui: false });
const db = await createTestDatabase();
const jaeger = await startJaeger();
const off: number[] = [];
const on: number[] = [];
const spans = { exported: 0, queue_full: 0, export_failed: 0 };
try {
  const run = async (mode: 'on' | 'off') => {
    const env = { ...process.env, TEMPORAL_ADDRESS: dev.address, DATABASE_URL: db.url, ...(mode === 'on' ? { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint, OTEL_SERVICE_NAME: 'aok-bench' } : {}) };
    const proc = Bun.spawn(['bun', new URL(import.meta.url).pathname, '--child', mode, '--agents', values.agents], { env, stdout: 'pipe', stderr: 'inherit' });
    const out = await new Response(proc.stdout).text();
    if ((await proc.exited) !== 0) throw new Error(`the ${mode} child failed`);
    const line = out.trim().split('\n').at(-1)!;
    return JSON.parse(line) as { perStep: number[]; spans: { exported: number; dropped: { queue_full: number; export_failed: number } } | null };
  };
  for (let r = 0; r < Number(values.rounds); r++) {
    // Alternate which side goes first, so drift in the machine hits both equally.
    for (const mode of r % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      const result = await run(mode);
      (mode === 'on' ? on : off).push(...result.perStep);
      if (result.spans) {
        spans.exported += result.spans.exported;
        spans.queue_full += result.spans.dropped.queue_full;
        spans.export_failed += result.spans.dropped.export_failed;
      }
      const mean = result.perStep.reduce((a, b) => a + b, 0) / result.perStep.length;
      process.stderr.write(`round ${r + 1}/${values.rounds} tracing ${mode}: ${mean.toFixed(1)} ms/step\n`);
    }
  }
  const a = summarise(off);
  const b = summarise(on);
  const addedPct = Math.round(((b.mean - a.mean) / a.mean) * 1000) / 10;
  console.log(`tracing off  mean ${a.mean} ms/step (p50 ${a.p50}, p95 ${a.p95})`);
  console.log(`tracing on   mean ${b.mean} ms/step (p50 ${b.p50}, p95 ${b.p95}), ${spans.exported} spans exported, ${spans.queue_full + spans.export_failed} dropped`);
  console.log(`added ${addedPct}% per step (target: under 5%)`);
  console.log(`wrote ${writeResult('tracing-overhead', { steps: STEPS, rounds: Number(values.rounds), agentsPerRound: Number(values.agents), collector: `Jaeger ${'v1.76.0'} (OTLP/HTTP protobuf)`, offPerStepMs: a, onPerStepMs: b, addedPct, spans })}`);
} finally {
  await jaeger.stop();
  await db.drop();
  await dev.stop();
}
process.exit(0);
