/**
 * Renders bench/REPORT.md and the README's benchmark block from the committed JSON results — the
 * only place the project's figures come from. Pure: results in, markdown out.
 */

/** A summary of samples as bench/stats.ts writes it. */
interface Summary {
  n: number;
  mean: number;
  p50: number;
  p95: number;
}

/** The results by benchmark name (the JSON file's name without `.json`). */
export type Results = Record<string, Record<string, unknown> | undefined>;

import { floorSection, memorySection, peersSection, provenance, schedulingSection, stepProfileSection, throughputSection } from './performance';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});
const sum = (v: unknown): Summary => ({ n: 0, mean: 0, p50: 0, p95: 0, ...obj(v) }) as Summary;
const fmt = (n: unknown, digits = 1): string => (typeof n === 'number' ? n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: 0 }) : '–');
const ms = (n: unknown) => `${fmt(n)} ms`;

function stepOverhead(results: Results): string[] {
  const out: string[] = ['## Step overhead: the agent workflow against a bare Temporal workflow', ''];
  out.push('Same dev server, same worker, same run, alternating. The bare workflow runs one no-op activity for every activity the agent ran (model calls and tool calls), so the ratio is the kernel\'s cost per unit of Temporal work. *light*: a 15-character input, no tools, started on the client. *realistic*: spawned through the API, 32 steps, a tool call in 15 of them, a 1,500-token window that pages and summarises.', '');
  out.push('| database | agent | agent ms/step (mean · p50 · p95) | bare ms per step\'s activities (mean) | ratio | kernel ms/step |', '| --- | --- | --- | --- | --- | --- |');
  const sources: string[] = [];
  for (const db of ['postgres', 'pglite']) {
    const r = results[`step-overhead-${db}`];
    if (!r) continue;
    sources.push(provenance(r, `bun bench/step-overhead.ts --db ${db}`));
    for (const profile of ['light', 'realistic']) {
      const p = obj(r[profile]);
      if (!p.agentPerStepMs) continue;
      const a = sum(p.agentPerStepMs);
      out.push(`| ${db} | ${profile} (${fmt(p.steps, 0)} steps, ${fmt(p.activities, 0)} activities) | ${fmt(a.mean)} · ${fmt(a.p50)} · ${fmt(a.p95)} | ${fmt(sum(p.barePerStepMs).mean)} | ${fmt(p.ratio, 2)}× | ${fmt(p.overheadMsPerStep)} |`);
    }
  }
  return [...out, '', ...sources, ''];
}

function checkpoints(results: Results): string[] {
  const r = results['checkpoint-overhead-postgres'];
  if (!r) return [];
  const writes = obj(r.checkpointWriteMs);
  const share = obj(r.overheadShareOfStep);
  const out = ['## Checkpoints', '', `Writing the step-boundary checkpoint (its page table derived from Postgres), against the wall time of a whole agent step (${fmt(r.agentSteps, 0)} scripted steps, through the API) on the same stack:`, ''];
  out.push('| pages | checkpoint write p50 · p95 |', '| --- | --- |');
  for (const [k, v] of Object.entries(writes)) out.push(`| ${k.replace('pages', '')} | ${ms(sum(v).p50)} · ${ms(sum(v).p95)} |`);
  out.push('', `A step takes ${ms(sum(r.stepWallMs).mean)} (mean) / ${ms(sum(r.stepWallMs).p50)} (p50); the checkpoint is **${fmt(Number(share.mean) * 100)}%** of it mean over mean, ${fmt(Number(share.p50) * 100)}% median over median.`, '', provenance(r, 'bun bench/checkpoint-overhead.ts'), '');
  return out;
}

function migration(results: Results): string[] {
  const r = results.migration;
  if (!r) return [];
  const m = obj(r.migrate);
  const d = obj(r.drain);
  const k = obj(r.nodeKilled);
  return [
    '## Migration, drain, node death',
    '',
    `Real \`bun run worker\` nodes (lease ${fmt(r.nodeLeaseMs, 0)} ms, step heartbeat timeout ${fmt(r.stepHeartbeatTimeoutMs, 0)} ms), agents on \`${String(r.model)}\`:`,
    '',
    '| measure | p50 | p95 |',
    '| --- | --- | --- |',
    `| migrate: request → first step on the new node | ${ms(sum(m.requestToFirstStepOnNewNodeMs).p50)} | ${ms(sum(m.requestToFirstStepOnNewNodeMs).p95)} |`,
    `| … waiting for the step boundary | ${ms(sum(m.requestToBoundaryMs).p50)} | ${ms(sum(m.requestToBoundaryMs).p95)} |`,
    `| … moving (continue-as-new, first step) | ${ms(sum(m.boundaryToFirstStepMs).p50)} | ${ms(sum(m.boundaryToFirstStepMs).p95)} |`,
    `| drain: request → each of ${fmt(d.agents, 0)} agents' first step elsewhere | ${ms(sum(d.requestToFirstStepElsewhereMs).p50)} | ${ms(sum(d.requestToFirstStepElsewhereMs).p95)} |`,
    `| SIGKILL of a node → each of ${fmt(k.agents, 0)} agents' first step elsewhere | ${ms(sum(k.killToFirstStepElsewhereMs).p50)} | ${ms(sum(k.killToFirstStepElsewhereMs).p95)} |`,
    '',
    provenance(r, 'bun bench/migration.ts'),
    '',
  ];
}

function crewsSection(results: Results): string[] {
  const r = results.crews;
  if (!r) return [];
  const p = obj(r.parallel);
  const f = obj(r.fanout);
  return [
    '## Crews',
    '',
    '| measure | result |',
    '| --- | --- |',
    `| ${fmt(p.agents, 0)} independent agents, one ${ms(p.modelLatencyMs)} model call each | ${ms(sum(p.wallMs).mean)} wall: **${fmt(p.overIdeal, 2)}×** the critical path (${ms(p.idealMs)}); one after another would take ${ms(p.sequentialWouldTakeMs)} |`,
    `| fan-out of ${fmt(f.items, 0)} agents, ${fmt(f.cap, 0)} at a time (scripted, one step each) | ${ms(sum(f.perItemMs).mean)} per item vs ${ms(sum(f.barePerItemMs).mean)} for a bare child workflow with one no-op activity: **${fmt(f.ratio, 2)}×** |`,
    '',
    provenance(r, 'bun bench/crews.ts'),
    '',
  ];
}

const POLICY_NOTE: Record<string, string> = {
  kernel: 'the kernel (pinned, recent window, relevance × recency × importance, leftover to recent pages)',
  retrieval: "retrieval only (Postgres full-text ranking, ts_rank_cd over the question's words: the top pages, filling the same budget)",
  bm25: "retrieval only with the kernel's own BM25 ranking (no neighbouring turns, no recent window, no blend)",
  recency: 'recency-only truncation',
  seed: "the seed's rule, evict by lru · (1 − 0.5 · importance), importance 0.5",
};

function locomo(results: Results): string[] {
  const r = results.locomo;
  if (!r) return [];
  const recall = obj(r.recall);
  const budgets = (r.budgets as number[] | undefined) ?? [];
  const policies = Object.keys(recall);
  const categories = Object.keys(obj(obj(recall.kernel)[String(budgets[0])]));
  const out = ['## LoCoMo evidence recall', '', `${(r.conversations as unknown[] | undefined)?.length ?? 0} conversations, every question; the share of a question's evidence turns present in the assembled context. Every policy sees the question where it can use it:`, ''];
  for (const p of policies) out.push(`- **${p}**: ${POLICY_NOTE[p] ?? p}`);
  out.push('', `| budget | policy | ${categories.join(' | ')} |`, `| --- | --- | ${categories.map(() => '---').join(' | ')} |`);
  for (const b of budgets) {
    for (const p of policies) {
      const row = obj(obj(recall[p])[String(b)]);
      out.push(`| ${fmt(b / 1000, 0)}k | ${p === 'kernel' ? '**kernel**' : p} | ${categories.map((c) => (c === 'overall' && p === 'kernel' ? `**${fmt(obj(row[c]).recall, 3)}**` : fmt(obj(row[c]).recall, 3))).join(' | ')} |`);
    }
  }
  const minus = obj(r.kernelMinus);
  out.push('', 'Kernel minus each baseline, overall recall:', '', '| budget | − retrieval | − bm25 | − recency | − seed |', '| --- | --- | --- | --- | --- |');
  for (const b of budgets) {
    const m = obj(minus[String(b)]);
    const signed = (v: unknown) => (typeof v === 'number' ? `${v >= 0 ? '+' : ''}${fmt(v, 3)}` : '–');
    out.push(`| ${fmt(b / 1000, 0)}k | ${signed(m.overRetrieval)} | ${signed(m.overBm25)} | ${signed(m.overRecency)} | ${signed(m.overSeed)} |`);
  }
  const per = obj(r.perConversationRecall);
  const rows = obj(per.recall);
  out.push('', `Per conversation at ${fmt(Number(per.budget) / 1000, 0)}k tokens (kernel / retrieval): ${Object.entries(rows).map(([id, v]) => `${id} ${fmt(obj(v).kernel, 3)} / ${fmt(obj(v).retrieval, 3)}`).join(', ')}.`, '');
  const recent = obj(r.recentWindow);
  if (recent.share) {
    const share = obj(recent.share);
    out.push(`What an agent mid-task keeps — the share of the conversation's ${fmt(recent.pages, 0)} newest turns in the window, at ${budgets.map((b) => `${fmt(b / 1000, 0)}k`).join(' / ')}: ${Object.entries(share).map(([p, v]) => `${p} ${budgets.map((b) => fmt(obj(v)[String(b)], 2)).join(' / ')}`).join('; ')}.`, '');
  }
  out.push(`**Tuning:** ${String(r.tuning ?? '')}`, '');
  const lat = obj(r.latencyMs);
  const scale = obj(r.scale);
  out.push(`Assembly latency per call: kernel p50 ${ms(obj(lat.kernel).p50)} / p95 ${ms(obj(lat.kernel).p95)}; one agent holding ${fmt(scale.pages, 0)} pages, ${fmt(Number(scale.budget) / 1000, 0)}k budget: p50 ${ms(obj(scale.latencyMs).p50)} / p95 ${ms(obj(scale.latencyMs).p95)}.`, '', provenance(r, 'bun bench/locomo.ts'), '');
  const v = results['locomo-pglite-vectors'];
  if (v) {
    const vr = obj(obj(v.recall).kernel);
    out.push(`With the local hashing embedder's similarity blended in (weight ${fmt(v.vectorWeight, 2)}, PGlite + pgvector), the kernel's overall recall is ${budgets.map((b) => `${fmt(b / 1000, 0)}k ${fmt(obj(obj(vr[String(b)]).overall).recall, 3)}`).join(', ')} — against ${budgets.map((b) => `${fmt(obj(obj(obj(recall.kernel)[String(b)]).overall).recall, 3)}`).join(', ')} full-text only, so vectors stay opt-in and are meant for a real embedding model.`, '', provenance(v, 'bun bench/locomo.ts --db pglite --vector-weight 0.3'), '');
  }
  return out;
}

function tracingSection(results: Results): string[] {
  const r = results['tracing-overhead'];
  if (!r) return [];
  const off = sum(r.offPerStepMs);
  const on = sum(r.onPerStepMs);
  const spans = obj(r.spans);
  return [
    '## Tracing overhead',
    '',
    `The light agent (${fmt(r.steps, 0)} scripted steps) on a node with tracing off and on a node exporting every span to a real Jaeger over OTLP/HTTP, alternating in child processes (${fmt(r.rounds, 0)} rounds × ${fmt(r.agentsPerRound, 0)} agents a side):`,
    '',
    '| tracing | mean ms/step | p50 | p95 |',
    '| --- | --- | --- | --- |',
    `| off | ${fmt(off.mean)} | ${fmt(off.p50)} | ${fmt(off.p95)} |`,
    `| on | ${fmt(on.mean)} | ${fmt(on.p50)} | ${fmt(on.p95)} |`,
    '',
    `Added per step: **${fmt(r.addedPct)}%** (target: under 5%); ${fmt(spans.exported, 0)} spans exported, ${fmt(Number(spans.queue_full ?? 0) + Number(spans.export_failed ?? 0), 0)} dropped. Jaeger runs on the same two cores, so its own work is counted against tracing. Each side is a fresh process started per round, so its absolute step times are not those of the step-overhead table (one long-lived process); compare the two sides of this table only.`,
    '',
    provenance(r, 'bun bench/tracing-overhead.ts'),
    '',
  ];
}

function codecSection(results: Results): string[] {
  const r = results.codec;
  if (!r) return [];
  const rows = Object.entries(obj(r.sizes)).map(([name, v]) => {
    const row = obj(v);
    return `| ${name} | ${fmt(obj(row.plainUs).p50, 1)} µs | ${fmt(obj(row.encryptedUs).p50, 1)} µs | +${fmt(row.addedUsP50, 1)} µs |`;
  });
  return ['## Payload encryption', '', 'One payload to JSON, through the AES-256-GCM codec and back (p50 of batches):', '', '| payload | plain | encrypted | added |', '| --- | --- | --- | --- |', ...rows, '', provenance(r, 'bun bench/codec.ts'), ''];
}

function fuzzSection(results: Results): string[] {
  const r = results.fuzz;
  if (!r) return [];
  const by = obj(r.statusesByCredential);
  const rows = Object.entries(by).map(([credential, statuses]) => `| ${credential} | ${Object.entries(obj(statuses)).map(([s, n]) => `${s}: ${fmt(n, 0)}`).join(', ')} |`);
  return ['## Route fuzz with authentication', '', `${fmt(r.requests, 0)} generated requests over ${fmt(r.operations, 0)} operations, each sent with one credential in turn; **${fmt(r.answers5xx, 0)} answered 5xx**. Statuses by credential (public routes answer everyone):`, '', '| credential | statuses |', '| --- | --- |', ...rows, '', provenance(r, 'bun test test/fuzz.e2e.test.ts'), ''];
}

/** bench/REPORT.md: every benchmark's figures, each with its command, file, date and machine. */
export function renderReport(results: Results): string {
  return [
    '# Benchmark report',
    '',
    'Generated by `bun bench/report.ts` from the JSON files in `bench/results/`; do not edit by hand. Compare figures only within one file (one machine, one run): ratios are measured with both sides in the same process, back to back.',
    '',
    ...floorSection(results),
    ...stepOverhead(results),
    ...stepProfileSection(results),
    ...throughputSection(results),
    ...peersSection(results),
    ...schedulingSection(results),
    ...memorySection(results),
    ...checkpoints(results),
    ...migration(results),
    ...crewsSection(results),
    ...codecSection(results),
    ...tracingSection(results),
    ...fuzzSection(results),
    ...locomo(results),
  ].join('\n');
}

/** The README's summary block: headline figures only, each from a committed result. */
export function renderReadmeBlock(results: Results): string {
  const lines = ['| measure | figure | from |', '| --- | --- | --- |'];
  const so = results['step-overhead-postgres'];
  for (const profile of ['light', 'realistic']) {
    const p = obj(so?.[profile]);
    if (p.ratio !== undefined) lines.push(`| ${profile} agent step vs a bare Temporal step (Postgres) | ${fmt(sum(p.agentPerStepMs).mean)} vs ${fmt(sum(p.barePerStepMs).mean)} ms: **${fmt(p.ratio, 2)}×** | \`step-overhead-postgres.json\` |`);
  }
  const cp = results['checkpoint-overhead-postgres'];
  if (cp) lines.push(`| checkpoint write, share of a step (mean over mean) | **${fmt(Number(obj(cp.overheadShareOfStep).mean) * 100)}%** | \`checkpoint-overhead-postgres.json\` |`);
  for (const [n, v] of Object.entries(obj(results.throughput?.inProcess)).filter(([n]) => /^\d+$/.test(n))) {
    lines.push(`| ${n} concurrent agents × 10 steps vs bare Temporal, same run | ${fmt(obj(obj(v).agent).stepsPerSecond)} vs ${fmt(obj(obj(v).bare).stepsPerSecond)} steps/s: **${fmt(obj(v).ratio, 2)}×** | \`throughput.json\` |`);
  }
  const sch = results.scheduling;
  if (sch?.idleHigh) lines.push(`| high-priority step latency, slots saturated by low priority, over idle | p50 **${fmt(sch.ratioP50SaturatedOverIdle, 2)}×**, p95 **${fmt(sch.ratioP95SaturatedOverIdle, 2)}×** | \`scheduling.json\` |`);
  const peers = obj(results.peers?.peers);
  if (Object.keys(peers).length) lines.push(`| the same 10-step agent, 200 at once: ${Object.keys(peers).join(' / ')} | ${Object.values(peers).map((p) => fmt(obj(obj(p).concurrent).medianStepsPerSec, 0)).join(' / ')} steps/s | \`peers.json\` |`);
  const mig = results.migration;
  if (mig) lines.push(`| migrate / drain / SIGKILL → first step elsewhere (p50) | ${ms(sum(obj(mig.migrate).requestToFirstStepOnNewNodeMs).p50)} / ${ms(sum(obj(mig.drain).requestToFirstStepElsewhereMs).p50)} / ${ms(sum(obj(mig.nodeKilled).killToFirstStepElsewhereMs).p50)} | \`migration.json\` |`);
  const cr = results.crews;
  if (cr) {
    lines.push(`| crew of ${fmt(obj(cr.parallel).agents, 0)} parallel agents (1 s calls): wall over the critical path | **${fmt(obj(cr.parallel).overIdeal, 2)}×** (one after another: ${fmt(Number(obj(cr.parallel).sequentialWouldTakeMs) / Number(obj(cr.parallel).idealMs), 0)}×) | \`crews.json\` |`);
    lines.push(`| fan-out of ${fmt(obj(cr.fanout).items, 0)} agents, cap ${fmt(obj(cr.fanout).cap, 0)}: per item vs a bare child workflow | **${fmt(obj(cr.fanout).ratio, 2)}×** | \`crews.json\` |`);
  }
  const codec = obj(obj(results.codec?.sizes)['step result (~2 KB)']);
  if (codec.addedUsP50 !== undefined) lines.push(`| payload encryption (AES-256-GCM), added per 2 KB payload round trip | +${fmt(codec.addedUsP50, 1)} µs (${fmt(obj(codec.plainUs).p50, 1)} → ${fmt(obj(codec.encryptedUs).p50, 1)} µs) | \`codec.json\` |`);
  const tr = results['tracing-overhead'];
  if (tr) lines.push(`| tracing on (every span to Jaeger over OTLP) vs off, light agent step | ${fmt(sum(tr.onPerStepMs).mean)} vs ${fmt(sum(tr.offPerStepMs).mean)} ms: **+${fmt(tr.addedPct)}%** | \`tracing-overhead.json\` |`);
  const fz = results.fuzz;
  if (fz) lines.push(`| route fuzz, no key / forged / other tenant / valid key in turn | ${fmt(fz.requests, 0)} requests, **${fmt(fz.answers5xx, 0)} answered 5xx** | \`fuzz.json\` |`);
  const lo = results.locomo;
  if (lo) {
    const budgets = (lo.budgets as number[] | undefined) ?? [];
    const b = budgets[1] ?? budgets[0];
    const over = (p: string) => fmt(obj(obj(obj(obj(lo.recall)[p])[String(b)]).overall).recall, 3);
    lines.push(`| LoCoMo evidence recall at ${fmt(Number(b) / 1000, 0)}k tokens: kernel / retrieval only / recency / seed | **${over('kernel')}** / ${over('retrieval')} / ${over('recency')} / ${over('seed')} (in-sample) | \`locomo.json\` |`);
  }
  return lines.join('\n');
}
