import type { CrewNode, CrewSpec, FailurePolicy, Join } from './spec';
import { nodeOfVar, varsOf } from './condition';

/** At most this many nodes may sit at one depth of the graph (run side by side). */
export const MAX_PARALLEL_WIDTH = 64;

/** A node as the crew workflow knows it: structure and policy only (templates stay in Postgres). */
export interface PlanNode {
  id: string;
  kind: CrewNode['kind'];
  dependsOn: string[];
  join: Join;
  onFailure: FailurePolicy;
  fallbackOnly: boolean;
  /** A condition to evaluate (by an activity, on the predecessors' results) before the node runs. */
  conditional: boolean;
  wait?: { until?: string; forMs?: number };
  foreach?: { over: string | null; concurrency: number };
}

/** The graph the crew workflow executes. */
export interface CrewPlan {
  nodes: PlanNode[];
  /** A topological order (dependencies first). */
  order: string[];
  maxConcurrency: number;
}

/** A graph problem, naming the nodes it concerns. */
export interface PlanIssue {
  path: Array<string | number>;
  message: string;
  nodes: string[];
}

const TEMPLATE_REF = /\{\{\s*nodes\.([a-z][a-z0-9_-]{0,39})\.result\s*\}\}/g;

/** The predecessors an agent template quotes (`{{nodes.<id>.result}}`). */
export function templateRefs(text: string): string[] {
  return [...text.matchAll(TEMPLATE_REF)].map((m) => m[1]!);
}

/**
 * Checks a crew's graph — unique ids, references to nodes that exist and come before, no cycle, a
 * width within {@link MAX_PARALLEL_WIDTH}, joins and fallbacks that make sense — and compiles it into
 * the plan the workflow runs. Every problem names the offending nodes.
 */
export function planCrew(spec: CrewSpec): { ok: true; plan: CrewPlan } | { ok: false; issues: PlanIssue[] } {
  const issues: PlanIssue[] = [];
  const byId = new Map<string, CrewNode>();
  spec.nodes.forEach((n, i) => {
    if (byId.has(n.id)) issues.push({ path: ['nodes', i, 'id'], message: `node id "${n.id}" is used twice`, nodes: [n.id] });
    byId.set(n.id, n);
  });
  const index = new Map(spec.nodes.map((n, i) => [n.id, i]));

  // References: dependencies, fallbacks and foreach sources must exist.
  spec.nodes.forEach((n, i) => {
    for (const d of n.dependsOn) {
      if (!byId.has(d)) issues.push({ path: ['nodes', i, 'dependsOn'], message: `node "${n.id}" depends on unknown node "${d}"`, nodes: [n.id, d] });
      if (d === n.id) issues.push({ path: ['nodes', i, 'dependsOn'], message: `node "${n.id}" depends on itself`, nodes: [n.id] });
      else if (byId.get(d)?.fallbackOnly) issues.push({ path: ['nodes', i, 'dependsOn'], message: `node "${n.id}" depends on "${d}", which only runs as a fallback; depend on the node it stands in for`, nodes: [n.id, d] });
    }
    if (typeof n.onFailure === 'object' && 'fallback' in n.onFailure) {
      const f = byId.get(n.onFailure.fallback);
      if (!f) issues.push({ path: ['nodes', i, 'onFailure', 'fallback'], message: `node "${n.id}" falls back to unknown node "${n.onFailure.fallback}"`, nodes: [n.id, n.onFailure.fallback] });
      else if (!f.fallbackOnly) issues.push({ path: ['nodes', i, 'onFailure', 'fallback'], message: `node "${n.id}" falls back to "${f.id}", which is not marked fallbackOnly`, nodes: [n.id, f.id] });
      else if (f.id === n.id) issues.push({ path: ['nodes', i, 'onFailure', 'fallback'], message: `node "${n.id}" falls back to itself`, nodes: [n.id] });
    }
    if (n.fallbackOnly && !spec.nodes.some((m) => typeof m.onFailure === 'object' && 'fallback' in m.onFailure && m.onFailure.fallback === n.id)) {
      issues.push({ path: ['nodes', i, 'fallbackOnly'], message: `node "${n.id}" is fallbackOnly but no node falls back to it`, nodes: [n.id] });
    }
    if (n.kind === 'foreach' && n.foreach.over !== undefined && !n.dependsOn.includes(n.foreach.over)) {
      issues.push({ path: ['nodes', i, 'foreach', 'over'], message: `foreach node "${n.id}" iterates over "${n.foreach.over}", which is not among its dependsOn`, nodes: [n.id, n.foreach.over] });
    }
    if (n.join !== 'all' && n.dependsOn.length === 0) issues.push({ path: ['nodes', i, 'join'], message: `node "${n.id}" has a join but no dependencies`, nodes: [n.id] });
    if (typeof n.join === 'object' && n.join.quorum > n.dependsOn.length) {
      issues.push({ path: ['nodes', i, 'join', 'quorum'], message: `node "${n.id}" waits for ${n.join.quorum} of only ${n.dependsOn.length} dependencies`, nodes: [n.id] });
    }
  });
  if (issues.length > 0) return { ok: false, issues };

  // Cycles (Kahn's algorithm); the nodes left over are on or behind a cycle.
  const indegree = new Map(spec.nodes.map((n) => [n.id, n.dependsOn.length]));
  const order: string[] = [];
  const queue = spec.nodes.filter((n) => n.dependsOn.length === 0).map((n) => n.id);
  const level = new Map<string, number>(queue.map((id) => [id, 0]));
  while (queue.length > 0) {
    const id = queue.shift()!;
    order.push(id);
    for (const m of spec.nodes.filter((x) => x.dependsOn.includes(id))) {
      level.set(m.id, Math.max(level.get(m.id) ?? 0, (level.get(id) ?? 0) + 1));
      indegree.set(m.id, indegree.get(m.id)! - 1);
      if (indegree.get(m.id) === 0) queue.push(m.id);
    }
  }
  if (order.length < spec.nodes.length) {
    const stuck = spec.nodes.filter((n) => !order.includes(n.id)).map((n) => n.id);
    return { ok: false, issues: [{ path: ['nodes'], message: `the dependencies form a cycle through ${stuck.join(', ')}`, nodes: stuck }] };
  }

  // Ancestors, for references in conditions and templates.
  const ancestors = new Map<string, Set<string>>();
  for (const id of order) {
    const set = new Set<string>();
    for (const d of byId.get(id)!.dependsOn) {
      set.add(d);
      for (const a of ancestors.get(d) ?? []) set.add(a);
    }
    ancestors.set(id, set);
  }
  for (const n of spec.nodes) {
    const i = index.get(n.id)!;
    for (const v of n.when === undefined ? [] : varsOf(n.when)) {
      const ref = nodeOfVar(v);
      if ('error' in ref) issues.push({ path: ['nodes', i, 'when'], message: `node "${n.id}": ${ref.error}`, nodes: [n.id] });
      else if (!n.dependsOn.includes(ref.node)) issues.push({ path: ['nodes', i, 'when'], message: `node "${n.id}"'s condition reads "${ref.node}", which is not among its dependsOn`, nodes: [n.id, ref.node] });
    }
    const template = n.kind === 'agent' ? n.agent : n.kind === 'foreach' ? n.foreach.agent : null;
    for (const ref of template ? templateRefs(template.input) : []) {
      if (!ancestors.get(n.id)!.has(ref)) issues.push({ path: ['nodes', i, n.kind === 'foreach' ? 'foreach' : 'agent', 'input'], message: `node "${n.id}" quotes the result of "${ref}", which does not come before it`, nodes: [n.id, ref] });
    }
  }

  // Width: nodes at one depth run side by side.
  const perLevel = new Map<number, string[]>();
  for (const [id, l] of level) perLevel.set(l, [...(perLevel.get(l) ?? []), id]);
  for (const ids of perLevel.values()) {
    if (ids.length > MAX_PARALLEL_WIDTH) issues.push({ path: ['nodes'], message: `${ids.length} nodes run side by side at one depth; at most ${MAX_PARALLEL_WIDTH} may (use a foreach node for wide fan-outs)`, nodes: ids });
  }
  if (issues.length > 0) return { ok: false, issues };

  const nodes: PlanNode[] = order.map((id) => {
    const n = byId.get(id)!;
    return {
      id,
      kind: n.kind,
      dependsOn: n.dependsOn,
      join: n.join,
      onFailure: n.onFailure,
      fallbackOnly: n.fallbackOnly,
      conditional: n.when !== undefined,
      ...(n.kind === 'wait' ? { wait: { until: n.wait.until, forMs: n.wait.forMs } } : {}),
      ...(n.kind === 'foreach' ? { foreach: { over: n.foreach.over ?? null, concurrency: n.foreach.concurrency } } : {}),
    };
  });
  return { ok: true, plan: { nodes, order, maxConcurrency: spec.maxConcurrency } };
}
