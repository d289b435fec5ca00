/**
 * The kernel console: plain DOM, no framework. It reads and steers agents through the API (with the
 * key the person enters, kept for this tab only), never through raw histories; each agent links to
 * its workflow in the Temporal UI. Views refresh every two seconds.
 */

type Json = Record<string, unknown>;
type Agent = {
  id: string;
  name: string;
  tenant: string;
  status: string;
  hold: string | null;
  holdDetail: string | null;
  step: number;
  node: string | null;
  model: string;
  result: string | null;
  error: string | null;
  pendingApproval: { callId: string; tool: string; step: number } | null;
  usage: { promptTokens: number; completionTokens: number; totalTokens: number; costUsd: number };
  workflow: { url: string | null };
};

type Checkpoint = { id: string; step: number; branch: number; createdAt: string };
type Page = { id: string; step: number; kind: string; role: string; tokens: number; body: string };
type WindowPage = { id: string; why: 'pinned' | 'recent' | 'ranked' };
type StepMetrics = {
  step: number;
  promptTokens?: number;
  tokensByKind?: Record<string, number>;
  pagesIn?: number;
  pagesOut?: number;
  pageFaults?: number;
  summarised?: number;
  pages?: WindowPage[];
};

const view = document.getElementById('view') as HTMLElement;
const statusLine = document.getElementById('status') as HTMLElement;
const KEY = 'aok.console.key';
let timer: ReturnType<typeof setTimeout> | undefined;
/** Steps whose context window is unfolded on the agent page (kept across refreshes). */
const openSteps = new Set<number>();

/** Text, escaped for HTML. */
const esc = (v: unknown) => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const usd = (n: number) => `$${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;

/** Calls the API with the entered key; a problem body becomes the status line. */
async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const key = sessionStorage.getItem(KEY) ?? '';
  const res = await fetch(path, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...(init.headers ?? {}) } });
  const body = (await res.json().catch(() => ({}))) as Json;
  if (!res.ok) throw new Error(String(body.detail ?? body.title ?? res.statusText));
  statusLine.textContent = '';
  return body as T;
}

/** A table from rows and column renderers (cells are HTML the renderers escape). */
function table<T>(rows: T[], columns: Array<[string, (r: T) => string, string?]>, label: string): string {
  const head = columns.map(([t]) => `<th scope="col">${esc(t)}</th>`).join('');
  const body = rows.map((r) => `<tr>${columns.map(([, cell, cls]) => `<td${cls ? ` class="${cls}"` : ''}>${cell(r)}</td>`).join('')}</tr>`).join('');
  return `<table aria-label="${esc(label)}"><thead><tr>${head}</tr></thead><tbody>${body || `<tr><td colspan="${columns.length}">none</td></tr>`}</tbody></table>`;
}

async function agentsView(): Promise<void> {
  const filter = (document.getElementById('state-filter') as HTMLSelectElement | null)?.value ?? '';
  const text = (document.getElementById('text-filter') as HTMLInputElement | null)?.value ?? '';
  const { agents } = await api<{ agents: Agent[] }>('/agents?limit=200');
  const shown = agents.filter((a) => (!filter || a.status === filter) && (!text || `${a.id} ${a.name}`.includes(text)));
  const states = ['', 'ready', 'running', 'waiting', 'suspended', 'completed', 'failed', 'terminated'];
  if (!document.getElementById('state-filter')) {
    view.innerHTML = `<h1>Agents</h1><p><label>State <select id="state-filter">${states.map((s) => `<option value="${s}">${s || 'any'}</option>`).join('')}</select></label>
      <label>Find <input id="text-filter" placeholder="id or name"></label></p><div id="agents"></div>`;
  }
  (document.getElementById('agents') as HTMLElement).innerHTML = table(
    shown,
    [
      ['id', (a) => `<a href="#/agents/${encodeURIComponent(a.id)}">${esc(a.id)}</a>`],
      ['name', (a) => esc(a.name)],
      ['tenant', (a) => esc(a.tenant)],
      ['state', (a) => `<span class="state-${esc(a.status)}">${esc(a.status)}</span>`],
      ['hold', (a) => esc(a.hold ? `${a.hold}${a.holdDetail ? `: ${a.holdDetail}` : ''}` : '-')],
      ['step', (a) => String(a.step), 'num'],
      ['tokens', (a) => a.usage.totalTokens.toLocaleString(), 'num'],
      ['cost', (a) => usd(a.usage.costUsd), 'num'],
      ['node', (a) => esc(a.node ?? '-')],
    ],
    'agents',
  );
}

async function agentView(id: string): Promise<void> {
  const path = `/agents/${encodeURIComponent(id)}`;
  const [a, { checkpoints }, { toolCalls }, metrics, { memories }, { pages }] = await Promise.all([
    api<Agent>(path),
    api<{ checkpoints: Checkpoint[] }>(`${path}/checkpoints`),
    api<{ toolCalls: Json[] }>(`${path}/tool-calls`),
    api<{ steps: StepMetrics[] }>(`${path}/metrics`),
    api<{ memories: Array<{ id: string; scope: string; key: string; content: string; version: number }> }>(`${path}/memories`),
    // The pages' text is read only while some step's window is unfolded.
    openSteps.size ? api<{ pages: Page[] }>(`${path}/pages`) : Promise.resolve({ pages: [] as Page[] }),
  ]);
  const byId = new Map(pages.map((p) => [p.id, p]));
  const steps = metrics.steps;
  const approval = a.pendingApproval
    ? `<div class="card" role="region" aria-label="pending approval"><p>Waiting for approval: <strong>${esc(a.pendingApproval.tool)}</strong> (call ${esc(a.pendingApproval.callId)}, step ${a.pendingApproval.step})</p>
       <button data-decide="approve" data-call="${esc(a.pendingApproval.callId)}">Approve</button> <button data-decide="reject" data-call="${esc(a.pendingApproval.callId)}">Reject</button></div>`
    : '';
  view.innerHTML = `<h1>${esc(a.name)} <small>${esc(a.id)}</small></h1>
    <div class="card"><dl>
      <dt>State</dt><dd id="agent-state" class="state-${esc(a.status)}">${esc(a.status)}</dd>
      <dt>Hold</dt><dd>${esc(a.hold ? `${a.hold}${a.holdDetail ? `: ${a.holdDetail}` : ''}` : '-')}</dd>
      <dt>Step</dt><dd id="agent-step">${a.step}</dd><dt>Model</dt><dd>${esc(a.model)}</dd><dt>Node</dt><dd>${esc(a.node ?? '-')}</dd>
      <dt>Cost</dt><dd>${usd(a.usage.costUsd)} (${a.usage.promptTokens.toLocaleString()} in, ${a.usage.completionTokens.toLocaleString()} out)</dd>
      <dt>Result</dt><dd><pre>${esc(a.result ?? a.error ?? '-')}</pre></dd>
      <dt>Workflow</dt><dd>${a.workflow.url ? `<a href="${esc(a.workflow.url)}" target="_blank" rel="noopener">open in the Temporal UI</a>` : '-'}</dd>
    </dl><p><button data-act="pause">Pause</button> <button data-act="resume">Resume</button> <button data-act="kill">Kill</button></p></div>
    ${approval}
    <h2>Context window, step by step</h2>
    ${table(steps, [
      ['step', (m) => esc(m.step), 'num'],
      ['prompt tokens', (m) => esc(m.promptTokens), 'num'],
      ['by kind', (m) => esc(Object.entries(m.tokensByKind ?? {}).map(([k, v]) => `${k} ${v}`).join(', '))],
      ['pages in / out', (m) => `${esc(m.pagesIn)} / ${esc(m.pagesOut)}`],
      ['page faults', (m) => esc(m.pageFaults), 'num'],
      ['summarised', (m) => esc(m.summarised), 'num'],
      ['window', (m) => windowCell(m, byId)],
    ], 'context window by step')}
    <h2>Memories</h2>
    ${table(memories, [
      ['scope', (m) => esc(m.scope)],
      ['key', (m) => esc(m.key)],
      ['content', (m) => `<pre>${esc(m.content)}</pre>`],
      ['version', (m) => `${m.version} <button data-versions="${esc(m.id)}">history</button><div data-history="${esc(m.id)}"></div>`],
    ], 'memories')}
    <h2>Tool calls</h2>
    ${table(toolCalls, [['step', (t) => esc(t.step), 'num'], ['tool', (t) => esc(t.tool)], ['status', (t) => esc(t.status)], ['decided by', (t) => esc(t.decidedBy ?? '-')], ['ms', (t) => esc(t.durationMs), 'num']], 'tool calls')}
    <h2>Checkpoints</h2>
    ${checkpointTimeline(checkpoints, a.step)}
    ${table(checkpoints, [
      ['step', (k) => String(k.step), 'num'],
      ['branch', (k) => String(k.branch), 'num'],
      ['at', (k) => esc(k.createdAt)],
      ['', (k) => `<button data-rewind="${esc(k.id)}">Rewind here</button> <button data-fork="${k.step}">Fork here</button>`],
    ], 'checkpoints')}`;
  view.querySelectorAll<HTMLDetailsElement>('details[data-step]').forEach((d) =>
    d.addEventListener('toggle', () => {
      const step = Number(d.dataset.step);
      const wasOpen = openSteps.has(step);
      if (d.open) openSteps.add(step);
      else openSteps.delete(step);
      if (d.open && !wasOpen) void render(); // read the pages' text
    }),
  );
  view.querySelectorAll<HTMLButtonElement>('button[data-decide]').forEach((b) =>
    b.addEventListener('click', () => act(() => api(`${path}/approvals`, { method: 'POST', body: JSON.stringify({ callId: b.dataset.call, approved: b.dataset.decide === 'approve', reason: 'from the console' }) }))),
  );
  view.querySelectorAll<HTMLButtonElement>('button[data-versions]').forEach((b) =>
    b.addEventListener('click', () => act(async () => {
      clearTimeout(timer); // hold the page still while the history is read
      const { versions } = await api<{ versions: Array<{ version: number; content: string; createdAt: string }> }>(`/memories/${encodeURIComponent(b.dataset.versions ?? '')}/versions`);
      const box = view.querySelector<HTMLElement>(`div[data-history="${CSS.escape(b.dataset.versions ?? '')}"]`);
      if (box) box.innerHTML = `<ol>${versions.map((v) => `<li>v${v.version} (${esc(v.createdAt)}): ${esc(v.content)}</li>`).join('')}</ol>`;
    }, false)),
  );
  view.querySelectorAll<HTMLButtonElement>('button[data-act]').forEach((b) => b.addEventListener('click', () => act(() => api(`${path}/${b.dataset.act}`, { method: 'POST', body: '{}' }))));
  view.querySelectorAll<HTMLButtonElement>('button[data-rewind]').forEach((b) => b.addEventListener('click', () => act(() => api(`${path}/rewind`, { method: 'POST', body: JSON.stringify({ checkpointId: b.dataset.rewind }) }))));
  view.querySelectorAll<HTMLButtonElement>('button[data-fork]').forEach((b) =>
    b.addEventListener('click', () => act(async () => {
      const fork = await api<Agent>(`${path}/fork`, { method: 'POST', body: JSON.stringify({ step: Number(b.dataset.fork) }) });
      location.hash = `#/agents/${encodeURIComponent(fork.id)}`;
    })),
  );
}

/** What the policy's reasons mean to a reader. */
const REASON: Record<WindowPage['why'], string> = { pinned: 'pinned prefix', recent: 'recent window', ranked: 'retrieved' };

/**
 * One step's window, folded: how many pages it held for each reason; unfolded, the pages in prompt
 * order with their kind, tokens and opening text (pages of a crew or a deleted branch show their id).
 */
function windowCell(m: StepMetrics, byId: ReadonlyMap<string, Page>): string {
  const held = m.pages;
  if (!held) return '-';
  const counts = new Map<string, number>();
  for (const p of held) counts.set(REASON[p.why], (counts.get(REASON[p.why]) ?? 0) + 1);
  const summaries = held.filter((p) => byId.get(p.id)?.kind === 'summary').length;
  const label = `${held.length} page${held.length === 1 ? "" : "s"}: ${[...counts].map(([why, n]) => `${n} ${why}`).join(', ')}`;
  const open = openSteps.has(m.step);
  const rows = open
    ? held.map((w) => {
        const p = byId.get(w.id);
        const text = p ? `${p.body.slice(0, 160)}${p.body.length > 160 ? '…' : ''}` : `page ${w.id} (not this agent's own)`;
        return `<li class="why-${w.why}"><span class="tag">${esc(REASON[w.why])}</span> ${p ? `${esc(p.kind)} · step ${p.step} · ${p.tokens} tokens` : ''}<br>${esc(text)}</li>`;
      }).join('')
    : '';
  return `<details data-step="${m.step}"${open ? ' open' : ''}><summary>${esc(label)}${open && summaries ? ` (${summaries} summaries)` : ''}</summary>${open ? `<ol class="window" aria-label="window of step ${m.step}">${rows}</ol>` : ''}</details>`;
}

/** Checkpoints on a timeline: steps left to right, one lane per branch, each checkpoint a dot. */
function checkpointTimeline(checkpoints: Checkpoint[], step: number): string {
  if (!checkpoints.length) return '';
  const last = Math.max(1, step, ...checkpoints.map((k) => k.step));
  const branches = [...new Set(checkpoints.map((k) => k.branch))].sort((x, y) => x - y);
  const width = 640;
  const x = (s: number) => 40 + (s / last) * (width - 60);
  const y = (b: number) => 20 + branches.indexOf(b) * 26;
  const lanes = branches.map((b) => `<line x1="40" x2="${width - 20}" y1="${y(b)}" y2="${y(b)}" stroke="#d1d5db"/><text x="2" y="${y(b) + 4}" font-size="11">br ${b}</text>`).join('');
  const dots = checkpoints.map((k) => `<circle class="checkpoint" cx="${x(k.step)}" cy="${y(k.branch)}" r="6"><title>step ${k.step}, branch ${k.branch}, ${esc(k.createdAt)}</title></circle>`).join('');
  const now = `<line x1="${x(step)}" x2="${x(step)}" y1="8" y2="${y(branches.at(-1)!) + 12}" stroke="#ef4444" stroke-dasharray="3 3"><title>now: step ${step}</title></line>`;
  return `<svg role="img" aria-label="checkpoints timeline: ${checkpoints.length} checkpoints over ${last} steps" width="${width}" height="${y(branches.at(-1)!) + 22}">${lanes}${now}${dots}<text x="40" y="${y(branches.at(-1)!) + 20}" font-size="11">step 0</text><text x="${width - 60}" y="${y(branches.at(-1)!) + 20}" font-size="11">step ${last}</text></svg>`;
}

type CrewNode = { id: string; kind: string; dependsOn: string[]; status: string; attempt: number; agentId: string | null; durationMs: number | null };

/** The crew's DAG as layered boxes (a node's layer is its longest path from a root), edges as lines. */
function crewGraph(nodes: CrewNode[]): string {
  const layer = new Map<string, number>();
  const depth = (n: CrewNode, seen: Set<string> = new Set()): number => {
    if (layer.has(n.id)) return layer.get(n.id)!;
    if (seen.has(n.id)) return 0;
    seen.add(n.id);
    const d = Math.max(-1, ...n.dependsOn.map((p) => depth(nodes.find((x) => x.id === p) ?? n, seen))) + 1;
    layer.set(n.id, d);
    return d;
  };
  nodes.forEach((n) => depth(n));
  const rows = new Map<number, CrewNode[]>();
  for (const n of nodes) rows.set(layer.get(n.id)!, [...(rows.get(layer.get(n.id)!) ?? []), n]);
  const pos = new Map<string, { x: number; y: number }>();
  for (const [d, list] of rows) list.forEach((n, i) => pos.set(n.id, { x: 10 + d * 170, y: 10 + i * 50 }));
  const colour: Record<string, string> = { completed: '#d1fae5', failed: '#fee2e2', running: '#dbeafe', waiting: '#fef3c7', skipped: '#e5e7eb', pending: '#fff' };
  const edges = nodes.flatMap((n) => n.dependsOn.map((p) => {
    const a = pos.get(p);
    const b = pos.get(n.id)!;
    return a ? `<line x1="${a.x + 140}" y1="${a.y + 18}" x2="${b.x}" y2="${b.y + 18}" stroke="#9ca3af"/>` : '';
  }));
  const boxes = nodes.map((n) => {
    const p = pos.get(n.id)!;
    return `<g><rect x="${p.x}" y="${p.y}" width="140" height="36" rx="4" fill="${colour[n.status] ?? '#fff'}" stroke="#6b7280"/><text x="${p.x + 8}" y="${p.y + 22}" font-size="12">${esc(n.id)} · ${esc(n.status)}</text></g>`;
  });
  const width = Math.max(...[...pos.values()].map((p) => p.x)) + 160;
  const height = Math.max(...[...pos.values()].map((p) => p.y)) + 50;
  return `<svg role="img" aria-label="crew graph" width="${width}" height="${height}">${edges.join('')}${boxes.join('')}</svg>`;
}

async function crewsView(): Promise<void> {
  const { crews } = await api<{ crews: Array<{ id: string; name: string; status: string; kind: string }> }>('/crews');
  view.innerHTML = `<h1>Crews</h1>${table(crews, [['id', (c) => `<a href="#/crews/${encodeURIComponent(c.id)}">${esc(c.id)}</a>`], ['name', (c) => esc(c.name)], ['kind', (c) => esc(c.kind)], ['state', (c) => `<span class="state-${esc(c.status)}">${esc(c.status)}</span>`]], 'crews')}`;
}

async function crewView(id: string): Promise<void> {
  const c = await api<{ id: string; name: string; status: string; nodes: CrewNode[]; workflow: { url: string | null } }>(`/crews/${encodeURIComponent(id)}`);
  view.innerHTML = `<h1>${esc(c.name)} <small>${esc(c.id)}</small></h1>
    <p>State: <span id="crew-state" class="state-${esc(c.status)}">${esc(c.status)}</span>${c.workflow.url ? ` · <a href="${esc(c.workflow.url)}" target="_blank" rel="noopener">open in the Temporal UI</a>` : ''}</p>
    <div class="card">${c.nodes.length ? crewGraph(c.nodes) : 'no nodes'}</div>
    ${table(c.nodes, [
      ['node', (n) => esc(n.id)],
      ['kind', (n) => esc(n.kind)],
      ['depends on', (n) => esc(n.dependsOn.join(', ') || '-')],
      ['state', (n) => `<span class="state-${esc(n.status)}">${esc(n.status)}</span>`],
      ['attempt', (n) => String(n.attempt), 'num'],
      ['agent', (n) => (n.agentId ? `<a href="#/agents/${encodeURIComponent(n.agentId)}">${esc(n.agentId)}</a>` : '-')],
      ['ms', (n) => esc(n.durationMs ?? '-'), 'num'],
    ], 'crew nodes')}`;
}

type Gpu = { index: number; name: string; uuid: string | null; memoryTotalMiB: number | null; memoryUsedMiB: number | null; utilizationPct: number | null; migEnabled: boolean | null; problems: string[]; migDevices: Array<{ profile: string | null }> };
type Reservation = { agentId: string | null; gpuIndex: number; device: string | null; memoryMiB: number; expiresAt: string };
type NodeView = { id: string; status: string; hostname: string; heartbeatAt: string; gpus: { driverVersion: string | null; gpus: Gpu[] }; gpuStatus: { state: string; error: string | null } | null; reservations: Reservation[] };

async function nodesView(): Promise<void> {
  const { nodes } = await api<{ nodes: NodeView[] }>('/nodes');
  const gpuRows = nodes.flatMap((n) => n.gpus.gpus.map((g) => ({ node: n, gpu: g, leases: n.reservations.filter((r) => r.gpuIndex === g.index) })));
  const mib = (v: number | null) => (v === null ? '-' : v.toLocaleString());
  view.innerHTML = `<h1>Nodes</h1>${table(nodes, [
    ['id', (n) => esc(n.id)],
    ['status', (n) => `<span class="state-${esc(n.status)}">${esc(n.status)}</span>`],
    ['host', (n) => esc(n.hostname)],
    ['GPUs', (n) => `${n.gpus.gpus.length}${n.gpuStatus?.state === 'degraded' ? ` <span class="state-failed" title="${esc(n.gpuStatus.error)}">degraded</span>` : ''}`, 'num'],
    ['driver', (n) => esc(n.gpus.driverVersion ?? '-')],
    ['heartbeat', (n) => esc(n.heartbeatAt)],
  ], 'nodes')}
    <h2>GPUs and their leases</h2>
    ${table(gpuRows, [
      ['node', (r) => esc(r.node.id)],
      ['GPU', (r) => `${r.gpu.index}: ${esc(r.gpu.name)}${r.gpu.migEnabled ? ` (MIG: ${esc(r.gpu.migDevices.map((d) => d.profile ?? '?').join(', ') || 'no instances listed')})` : ''}${r.gpu.problems.length ? ` <span class="state-failed">not offered: ${esc(r.gpu.problems.join('; '))}</span>` : ''}`],
      ['MiB total', (r) => mib(r.gpu.memoryTotalMiB), 'num'],
      ['MiB used', (r) => mib(r.gpu.memoryUsedMiB), 'num'],
      ['MiB leased', (r) => r.leases.reduce((n, l) => n + l.memoryMiB, 0).toLocaleString(), 'num'],
      ['leases', (r) => r.leases.map((l) => `${l.device ? `${esc(l.device)}: ` : ''}${l.agentId ? `<a href="#/agents/${encodeURIComponent(l.agentId)}">${esc(l.agentId)}</a>` : 'another tenant'} ${l.memoryMiB.toLocaleString()} MiB until ${esc(l.expiresAt)}`).join('<br>') || '-'],
    ], 'GPUs')}`;
}

async function usageView(): Promise<void> {
  const who = await api<{ tenant: string }>('/whoami');
  const u = await api<{ costUsd: number; groups: Array<{ key: string | null; costUsd: number; steps: number }> }>(`/tenants/${encodeURIComponent(who.tenant)}/usage?groupBy=day`);
  const max = Math.max(1e-9, ...u.groups.map((g) => g.costUsd));
  const days = [...u.groups].sort((x, y) => String(x.key).localeCompare(String(y.key)));
  const bars = days.map((g, i) => `<rect class="bar" x="${i * 34 + 4}" y="${120 - (g.costUsd / max) * 110}" width="26" height="${(g.costUsd / max) * 110}"><title>${esc(g.key)}: ${usd(g.costUsd)}</title></rect>`).join('');
  view.innerHTML = `<h1>Usage of ${esc(who.tenant)}: ${usd(u.costUsd)}</h1>
    <svg role="img" aria-label="USD per day" width="${Math.max(1, days.length) * 34 + 8}" height="124">${bars}</svg>
    ${table(days, [['day', (g) => esc(g.key)], ['steps', (g) => String(g.steps), 'num'], ['cost', (g) => usd(g.costUsd), 'num']], 'usage by day')}`;
}

/** Runs an action, then (unless told not to) redraws at once. */
async function act(run: () => Promise<unknown>, redraw = true): Promise<void> {
  try {
    await run();
    if (redraw) await render();
  } catch (err) {
    statusLine.textContent = err instanceof Error ? err.message : String(err);
  }
}

/** Draws the view the hash names, and schedules the next refresh. */
async function render(): Promise<void> {
  clearTimeout(timer);
  if (!sessionStorage.getItem(KEY)) return;
  const hash = location.hash || '#/agents';
  try {
    const agent = hash.match(/^#\/agents\/(.+)$/);
    const crew = hash.match(/^#\/crews\/(.+)$/);
    if (agent) await agentView(decodeURIComponent(agent[1]!));
    else if (crew) await crewView(decodeURIComponent(crew[1]!));
    else if (hash === '#/crews') await crewsView();
    else if (hash === '#/nodes') await nodesView();
    else if (hash === '#/usage') await usageView();
    else await agentsView();
  } catch (err) {
    statusLine.textContent = err instanceof Error ? err.message : String(err);
  }
  timer = setTimeout(() => void render(), 2_000);
}

(document.getElementById('key-form') as HTMLFormElement).addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem(KEY, (document.getElementById('key') as HTMLInputElement).value.trim());
  void render();
});
window.addEventListener('hashchange', () => {
  view.innerHTML = '';
  void render();
});
void render();

export {};
