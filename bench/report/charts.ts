/**
 * The report's charts: Vega-Lite specs built from the committed results, rendered to SVG by Vega
 * (no browser, no canvas; text is measured by Vega's estimate, so the output is the same on every
 * machine). Each chart sits beside the table it draws in bench/REPORT.md.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Results } from './render';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** One bar of a grouped bar chart. */
interface Bar {
  group: string;
  series: string;
  value: number;
}

/** A grouped (or stacked) horizontal bar chart. */
function bars(title: string, unit: string, rows: Bar[], stacked = false): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 420,
    height: { step: stacked ? 22 : 11 },
    data: { values: rows },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      y: { field: 'group', type: 'nominal', title: null, sort: null },
      ...(stacked ? {} : { yOffset: { field: 'series', sort: null } }),
      x: { field: 'value', type: 'quantitative', title: unit, ...(stacked ? { stack: 'zero' } : {}) },
      color: { field: 'series', type: 'nominal', title: null, sort: null, scale: { scheme: 'tableau10' } },
    },
    config: { font: 'sans-serif', view: { stroke: null }, axisY: { labelLimit: 360 } },
  };
}

const push = (rows: Bar[], group: string, series: string, value: unknown) => {
  const v = num(value);
  if (v !== undefined) rows.push({ group, series, value: v });
};

/** The chart specs the results allow, by file name (without `.svg`). */
export function chartSpecs(results: Results): Record<string, TopLevelSpec> {
  const specs: Record<string, TopLevelSpec> = {};

  const step: Bar[] = [];
  const floor = results.floor;
  for (const tuning of ['stock', 'kernel']) {
    const f = obj(floor?.[tuning]);
    push(step, `dev server, ${tuning} tuning (light agent)`, 'bare Temporal', obj(f.bareMsPerStep).mean);
    push(step, `dev server, ${tuning} tuning (light agent)`, 'agent', obj(f.agentMsPerStep).mean);
  }
  for (const profile of ['light', 'realistic']) {
    const p = obj(results['step-overhead-postgres']?.[profile]);
    push(step, `${profile} agent (Postgres)`, 'bare Temporal', obj(p.barePerStepMs).mean);
    push(step, `${profile} agent (Postgres)`, 'agent', obj(p.agentPerStepMs).mean);
  }
  if (step.length) specs['step-latency'] = bars('One step, sequential: agent against bare Temporal', 'ms per step (mean)', step);

  const tp: Bar[] = [];
  const inProcess = obj(results.throughput?.inProcess);
  for (const [n, v] of Object.entries(inProcess).filter(([n]) => /^\d+$/.test(n))) {
    push(tp, `${n} agents, dev server`, 'bare Temporal', obj(obj(v).bare).stepsPerSecond);
    push(tp, `${n} agents, dev server`, 'agent', obj(obj(v).agent).stepsPerSecond);
  }
  const production = obj(results.throughput?.production);
  for (const [n, v] of Object.entries(production).filter(([k]) => /^\d+$/.test(k))) {
    if (!obj(v).agent) continue;
    push(tp, `${n} agents, Temporal server on Postgres`, 'bare Temporal', obj(obj(v).bare).stepsPerSecond);
    push(tp, `${n} agents, Temporal server on Postgres`, 'agent', obj(obj(v).agent).stepsPerSecond);
  }
  for (const [name, peer] of Object.entries(obj(results.peers?.peers))) {
    push(tp, `${obj(peer).concurrent ? String(obj(obj(peer).concurrent).agents) : '?'} agents, peers run (fake model, client-started)`, name === 'kernel' ? 'agent' : name, obj(obj(peer).concurrent).medianStepsPerSec);
  }
  if (tp.length) specs.throughput = bars('Throughput at saturation (scripted or fake model, 10 steps per agent)', 'steps per second', tp);

  const cpu: Bar[] = [];
  for (const [n, v] of Object.entries(inProcess).filter(([n]) => /^\d+$/.test(n))) {
    for (const side of ['agent', 'bare'] as const) {
      for (const [proc, seconds] of Object.entries(obj(obj(obj(v)[side]).cpuSecondsPer1000Steps))) push(cpu, `${n} agents: ${side === 'bare' ? 'bare Temporal' : 'agent'}`, proc, seconds);
    }
  }
  if (cpu.length) specs['cpu-split'] = bars('Where the CPU goes, per 1,000 steps', 'CPU seconds per 1,000 steps', cpu, true);

  const sch = results.scheduling;
  if (sch?.idleHigh) {
    const pri: Bar[] = [];
    for (const q of ['p50', 'p95'] as const) {
      push(pri, `high priority, idle kernel`, q, obj(sch.idleHigh)[q]);
      push(pri, `high priority, slots saturated by low`, q, obj(sch.saturatedHigh)[q]);
      push(pri, `low priority, saturated`, q, obj(sch.low)[q]);
    }
    specs.priority = bars('Step latency under saturated model slots', 'ms between replies', pri);
  }

  const mem = (results.memory?.runs as Json[] | undefined) ?? [];
  if (mem.length) {
    const rows: Bar[] = [];
    for (const r of mem) {
      push(rows, `cache ${String(r.workflowCacheSize)} workflows`, 'idle', r.idleRssMiB);
      push(rows, `cache ${String(r.workflowCacheSize)} workflows`, `${String(r.agents)} agents waiting`, r.waitingRssMiB);
    }
    specs.memory = bars('Worker RSS with agents waiting on a durable timer', 'MiB', rows);
  }
  return specs;
}

/** Renders each spec to SVG. */
export async function renderCharts(results: Results): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(chartSpecs(results))) {
    const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
    out[name] = `${await view.toSVG()}\n`;
    view.finalize();
  }
  return out;
}
