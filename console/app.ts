/// <reference lib="dom" />
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

const view = document.getElementById('view') as HTMLElement;
const status = document.getElementById('status') as HTMLElement;
const KEY = 'aok.console.key';
let timer: ReturnType<typeof setTimeout> | undefined;

/** Text, escaped for HTML. */
const esc = (v: unknown) => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const usd = (n: number) => `$${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;

/** Calls the API with the entered key; a problem body becomes the status line. */
async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const key = sessionStorage.getItem(KEY) ?? '';
  const res = await fetch(path, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...(init.headers ?? {}) } });
  const body = (await res.json().catch(() => ({}))) as Json;
  if (!res.ok) throw new Error(String(body.detail ?? body.title ?? res.statusText));
  status.textContent = '';
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
  const [a, { checkpoints }, { toolCalls }, metrics] = await Promise.all([
    api<Agent>(path),
    api<{ checkpoints: Array<{ id: string; step: number; branch: number; createdAt: string }> }>(`${path}/checkpoints`),
    api<{ toolCalls: Json[] }>(`${path}/tool-calls`),
    api<{ steps: Json[] }>(`${path}/metrics`),
  ]);
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
      ['by kind', (m) => esc(Object.entries((m.tokensByKind as Json | undefined) ?? {}).map(([k, v]) => `${k} ${v}`).join(', '))],
      ['pages in / out', (m) => `${esc(m.pagesIn)} / ${esc(m.pagesOut)}`],
      ['page faults', (m) => esc(m.pageFaults), 'num'],
      ['summarised', (m) => esc(m.summarised), 'num'],
    ], 'context window by step')}
    <h2>Tool calls</h2>
    ${table(toolCalls, [['step', (t) => esc(t.step), 'num'], ['tool', (t) => esc(t.tool)], ['status', (t) => esc(t.status)], ['decided by', (t) => esc(t.decidedBy ?? '-')], ['ms', (t) => esc(t.durationMs), 'num']], 'tool calls')}
    <h2>Checkpoints</h2>
    ${table(checkpoints, [
      ['step', (k) => String(k.step), 'num'],
      ['branch', (k) => String(k.branch), 'num'],
      ['at', (k) => esc(k.createdAt)],
      ['', (k) => `<button data-rewind="${esc(k.id)}">Rewind here</button> <button data-fork="${k.step}">Fork here</button>`],
    ], 'checkpoints')}`;
  view.querySelectorAll<HTMLButtonElement>('button[data-decide]').forEach((b) =>
    b.addEventListener('click', () => act(() => api(`${path}/approvals`, { method: 'POST', body: JSON.stringify({ callId: b.dataset.call, approved: b.dataset.decide === 'approve', reason: 'from the console' }) }))),
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

async function nodesView(): Promise<void> {
  const { nodes } = await api<{ nodes: Array<Json & { gpus: Json[] }> }>('/nodes');
  view.innerHTML = `<h1>Nodes</h1>${table(nodes, [['id', (n) => esc(n.id)], ['status', (n) => esc(n.status)], ['host', (n) => esc(n.hostname)], ['GPUs', (n) => String(n.gpus.length), 'num'], ['heartbeat', (n) => esc(n.heartbeatAt)]], 'nodes')}`;
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

/** Runs an action, then redraws at once (the action's effect shows within a refresh). */
async function act(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
    await render();
  } catch (err) {
    status.textContent = err instanceof Error ? err.message : String(err);
  }
}

/** Draws the view the hash names, and schedules the next refresh. */
async function render(): Promise<void> {
  clearTimeout(timer);
  if (!sessionStorage.getItem(KEY)) return;
  const hash = location.hash || '#/agents';
  try {
    const agent = hash.match(/^#\/agents\/(.+)$/);
    if (agent) await agentView(decodeURIComponent(agent[1]!));
    else if (hash === '#/nodes') await nodesView();
    else if (hash === '#/usage') await usageView();
    else await agentsView();
  } catch (err) {
    status.textContent = err instanceof Error ? err.message : String(err);
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
