/**
 * The report's performance sections (issue 12): the dispatch floor, where a step's time goes,
 * throughput against bare Temporal and against peers, priority under saturation, worker memory.
 * Pure: results in, markdown lines out.
 */
import type { Results } from './render';

type Json = Record<string, unknown>;
interface Summary {
  mean: number;
  p50: number;
  p95: number;
}
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});
const sum = (v: unknown): Summary => ({ mean: 0, p50: 0, p95: 0, ...obj(v) }) as Summary;
const fmt = (n: unknown, digits = 1): string => (typeof n === 'number' ? n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: 0 }) : '–');
const ms = (n: unknown) => `${fmt(n)} ms`;
const chart = (name: string, alt: string) => `![${alt}](report/charts/${name}.svg)`;

/** Where and when a result was measured, and by which command. */
export function provenance(r: Json, command: string): string {
  const m = obj(r.machine);
  return `_\`${command}\` → \`bench/results/${String(r.benchmark)}.json\`, ${String(r.date ?? '').slice(0, 10)}, ${fmt(m.cpus, 0)} × ${String(m.cpuModel ?? '?')}, Bun ${String(m.bun ?? '?')}._`;
}

/** The dispatch fix, before and after, with the light agent on each. */
export function floorSection(results: Results): string[] {
  const r = results.floor;
  if (!r) return [];
  const row = (tuning: string, label: string) => {
    const f = obj(r[tuning]);
    return `| ${label} | ${fmt(sum(f.bareMsPerStep).mean)} · ${fmt(sum(f.bareMsPerStep).p50)} · ${fmt(sum(f.bareMsPerStep).p95)} | ${fmt(sum(f.agentMsPerStep).mean)} · ${fmt(sum(f.agentMsPerStep).p50)} · ${fmt(sum(f.agentMsPerStep).p95)} | ${fmt(f.ratio, 2)}× |`;
  };
  return [
    '## The dispatch floor: the dev server before and after the fix',
    '',
    `A bare workflow doing ${fmt(r.steps, 0)} no-op activities back to back, and the light agent of the same length, on the dev server as it comes (*stock*: the history service's queue processors poll 20 times a second, SQLite in its default journal) and as the kernel starts it (*kernel*: \`history.{transfer,timer,visibility,outbound}ProcessorMaxPollRPS=10000\`, WAL with \`synchronous=normal\` — survives a crash of the process, may lose the last commits on power loss). ${fmt(r.runs, 0)} runs each, alternating.`,
    '',
    '| dev server | bare ms/step (mean · p50 · p95) | agent ms/step (mean · p50 · p95) | ratio |',
    '| --- | --- | --- | --- |',
    row('stock', 'stock'),
    row('kernel', 'kernel tuning'),
    '',
    chart('step-latency', 'One step: agent against bare Temporal'),
    '',
    provenance(r, 'bun bench/floor.ts'),
    '',
  ];
}

/** Where one light step's time goes, from its history, and its Postgres statements. */
export function stepProfileSection(results: Results): string[] {
  const r = results['step-profile'];
  if (!r) return [];
  const a = obj(r.agent);
  const b = obj(r.bare);
  const line = (label: string, key: string) => `| ${label} | ${ms(a[key])} | ${ms(b[key])} |`;
  const statements = ((r.statements as Json[] | undefined) ?? []).filter((s) => Number(s.perStep) >= 0.5);
  return [
    '## Where a step\'s time goes',
    '',
    `The light agent (${fmt(r.steps, 0)} steps, ${fmt(r.runs, 0)} runs) and the bare workflow, each history split into dispatch (scheduled → started) and run time (started → completed). Per step:`,
    '',
    '| | agent | bare |',
    '| --- | --- | --- |',
    line('wall', 'wallMs'),
    `| history events | ${fmt(a.eventsPerStep, 2)} | ${fmt(b.eventsPerStep, 2)} |`,
    line('activity dispatch', 'activityQueueMs'),
    line('activity run (the step\'s own work)', 'activityRunMs'),
    line('workflow task dispatch', 'workflowTaskQueueMs'),
    line('workflow task run', 'workflowTaskRunMs'),
    '',
    `**${fmt(r.statementsPerStep, 1)} Postgres statements per step**, all prepared; the ones run at least every other step:`,
    '',
    '| per step | statement (start) |',
    '| --- | --- |',
    ...statements.map((s) => `| ${fmt(s.perStep, 2)} | \`${String(s.statement).replace(/\|/g, '\\|').slice(0, 80)}…\` |`),
    '',
    provenance(r, 'bun bench/step-profile.ts'),
    '',
  ];
}

/** Throughput against bare Temporal at 200 and 1,000 agents, on one and two worker processes, and on the production server. */
export function throughputSection(results: Results): string[] {
  const r = results.throughput;
  if (!r) return [];
  const rows: string[] = [];
  const cpu = (c: unknown) => Object.entries(obj(c)).map(([k, v]) => `${k} ${fmt(v, 2)}`).join(' · ');
  const add = (label: string, v: Json) => {
    const a = obj(v.agent);
    const b = obj(v.bare);
    const range = Array.isArray(v.ratioRange) ? `${fmt(v.ratioRange[0], 2)}–${fmt(v.ratioRange[1], 2)}× over ${fmt(v.rounds, 0)} rounds` : 'one round';
    rows.push(`| ${label} | **${fmt(a.stepsPerSecond)}** | ${fmt(b.stepsPerSecond)} | **${fmt(v.ratio, 2)}×** | ${range} | ${cpu(a.cpuSecondsPer1000Steps)} | ${cpu(b.cpuSecondsPer1000Steps)} |`);
  };
  for (const [n, v] of Object.entries(obj(r.inProcess)).filter(([n]) => /^\d+$/.test(n))) add(`${n} agents, dev server`, obj(v));
  for (const [n, v] of Object.entries(obj(r.production)).filter(([k]) => /^\d+$/.test(k))) if (obj(v).agent) add(`${n} agents, ${String(obj(r.production).server)}`, obj(v));
  const w = obj(r.workerProcesses);
  const api = obj(obj(r.inProcess).viaApi);
  return [
    '## Throughput at saturation',
    '',
    `N agents × 10 steps (scripted model, no latency, ${fmt(r.llmSlots, 0)} model slots so the slots never limit) against N bare workflows × 10 no-op activities, both started on the client (the agent's record written first), one in-process worker; steps/s from the first start to the last result. Each size runs in rounds of alternating order (agent first, then bare first): a run leaves timers on the server that fire during the next, and one pair varies by ±10%, so the table gives the median of each side, their ratio and the range of the rounds' own ratios. CPU seconds per 1,000 steps by process, over all rounds: *kernel* is this process (API, worker, client), *temporal* the server, *postgres* every backend (on the production server Temporal's own persistence is in it too).`,
    '',
    '| run | agent steps/s | bare steps/s | agent / bare | rounds | agent CPU s per 1,000 steps | bare CPU s per 1,000 steps |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    chart('throughput', 'Throughput: agent, bare Temporal and peers'),
    '',
    chart('cpu-split', 'CPU per 1,000 steps by process'),
    '',
    ...(api.agents ? [`The same ${fmt(api.agents, 0)} agents spawned through the API (each spawn also answered with the agent's live state, a workflow query): **${fmt(api.stepsPerSecond)} steps/s**, spawning them took ${fmt(Number(api.startMs) / 1000, 1)} s of the run.`, ''] : []),
    `Worker processes (\`bun run worker\`, the API in the benchmark's process), ${fmt(obj(w['1']).agents, 0)} agents: one process **${fmt(obj(w['1']).stepsPerSecond)} steps/s**, two processes **${fmt(obj(w['2']).stepsPerSecond)} steps/s** (×${fmt(w.ratioTwoOverOne, 2)}) — on 2 cores, where the server, Postgres and the workers already share the CPUs.`,
    '',
    provenance(r, 'bun bench/throughput.ts'),
    '',
  ];
}

/** A high-priority agent's step latency when low-priority agents saturate the model slots. */
export function schedulingSection(results: Results): string[] {
  const r = results.scheduling;
  if (!r?.idleHigh) return [];
  const row = (label: string, s: unknown) => `| ${label} | ${ms(sum(s).p50)} | ${ms(sum(s).p95)} |`;
  return [
    '## Priority under saturation',
    '',
    `${fmt(r.slots, 0)} model slots and ${fmt(r.modelLatencyMs, 0)} ms per call (${fmt(r.slotCapacityStepsPerSecond, 0)} calls/s: the slots, not the kernel, are the bottleneck). ${fmt(r.highAgents, 0)} high-priority agents run alone (idle), then again after ${fmt(r.lowAgents, 0)} low-priority agents have filled the slots' backlog; ${fmt(r.stepsPerAgent, 0)} steps each, aging every ${fmt(Number(r.agingIntervalMs) / 1000, 0)} s. Step latency is the time between an agent's replies.`,
    '',
    '| agents | step latency p50 | p95 |',
    '| --- | --- | --- |',
    row('high priority, idle kernel', r.idleHigh),
    row('high priority, slots saturated by low priority', r.saturatedHigh),
    row('low priority, saturated', r.low),
    '',
    `High priority under saturation: **${fmt(r.ratioP50SaturatedOverIdle, 2)}×** its idle latency at p50, **${fmt(r.ratioP95SaturatedOverIdle, 2)}×** at p95; ${fmt(r.lowFinished, 0)} of ${fmt(r.lowAgents, 0)} low-priority agents finished.`,
    '',
    chart('priority', 'Step latency under saturated model slots'),
    '',
    provenance(r, 'bun bench/scheduling.ts'),
    '',
  ];
}

/** Worker RSS per waiting agent for sticky-cache sizes. */
export function memorySection(results: Results): string[] {
  const r = results.memory;
  const runs = (r?.runs as Json[] | undefined) ?? [];
  if (!r || runs.length === 0) return [];
  return [
    '## Worker memory per waiting agent',
    '',
    'Agents that call the `wait` tool (a one-hour durable timer) and hold; the RSS of one `bun run worker` process before and after, for sticky-cache sizes (`WORKFLOW_CACHE_SIZE`). An agent out of the cache costs the worker nothing: its state is its history, replayed when its timer fires.',
    '',
    '| workflow cache | agents waiting | worker RSS idle → waiting | per waiting agent |',
    '| --- | --- | --- | --- |',
    ...runs.map((x) => `| ${fmt(x.workflowCacheSize, 0)} | ${fmt(x.agents, 0)} | ${fmt(x.idleRssMiB)} → ${fmt(x.waitingRssMiB)} MiB | ${fmt(x.kibPerWaitingAgent)} KiB |`),
    '',
    chart('memory', 'Worker RSS with agents waiting'),
    '',
    provenance(r, 'bun bench/memory.ts'),
    '',
  ];
}

/** The same 10-step agent on this kernel, DBOS Transact and LangGraph JS, one interleaved run. */
export function peersSection(results: Results): string[] {
  const r = results.peers;
  if (!r) return [];
  const rows = Object.entries(obj(r.peers)).map(([name, p]) => {
    const x = obj(p);
    const version = Object.entries(obj(x.version)).map(([k, v]) => `${k} ${String(v)}`).join(', ');
    const bytes = obj(x.bytesPerAgent);
    const history = bytes.temporalHistoryBytes !== undefined ? ` + ${fmt(bytes.temporalHistoryBytes, 0)} B of Temporal history` : '';
    return `| ${name} (${version}) | ${fmt(sum(obj(x.sequential).msPerStep).mean, 2)} | ${fmt(obj(x.concurrent).medianStepsPerSec)} | ${fmt(obj(x.concurrentLarge).stepsPerSec)} | ${fmt(bytes.rowBytes, 0)} B${history} |`;
  });
  return [
    '## Peers: the same agent on DBOS Transact and LangGraph JS',
    '',
    `A 10-step agent whose model answers at once, each step stored durably before the next, in one process against the same local Postgres (fresh database each), interleaved. ${String(obj(r.method).concurrent ?? '')}. The peers do less per step (no context assembly, no token accounting, no events, no ledger, no checkpoint row) and have no separate server; the kernel's process CPU leaves out its Temporal server.`,
    '',
    '| system | sequential ms/step (mean) | steps/s, 200 at once (median) | steps/s, 1,000 at once | stored per agent (row bytes) |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    provenance(r, 'bun bench/peers/run.ts'),
    '',
  ];
}
