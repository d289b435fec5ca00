import { z } from 'zod';

/**
 * Conditions on crew edges: a small JSON-logic subset, evaluated by a pure interpreter (never `eval`).
 *
 *   {"==": [{"var": "nodes.triage.json.severity"}, "high"]}
 *   {"and": [{"in": ["approve", {"var": "nodes.review.result"}]}, {"!=": [{"var": "nodes.check.status"}, "failed"]}]}
 *
 * Operators: `var`, `==`, `!=`, `<`, `<=`, `>`, `>=`, `and`, `or`, `!`, `in` (substring of a text, or
 * member of a list). A `var` reads a predecessor: `nodes.<id>.status` (completed, failed, skipped),
 * `nodes.<id>.result` (its final answer, text), or `nodes.<id>.json.<path>` (the answer parsed as JSON,
 * then a dotted path; missing → null).
 */
export type Condition = boolean | number | string | null | { [op: string]: Condition | Condition[] };

const OPERATORS = ['var', '==', '!=', '<', '<=', '>', '>=', 'and', 'or', '!', 'in'] as const;
const MAX_DEPTH = 12;
const MAX_NODES = 200;

/** Why a JSON value is not a condition (null when it is): objects name exactly one known operator, depth and size are bounded. */
export function conditionProblem(value: unknown, depth = 0, budget = { nodes: MAX_NODES }): string | null {
  if (--budget.nodes < 0) return `a condition holds at most ${MAX_NODES} parts`;
  if (depth > MAX_DEPTH) return `a condition nests at most ${MAX_DEPTH} deep`;
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return null;
  if (typeof value === 'string') return value.length > 10_000 ? 'a string in a condition is at most 10,000 characters' : null;
  if (Array.isArray(value)) return 'a list appears only as the arguments of an operator';
  if (typeof value !== 'object') return 'not JSON';
  const keys = Object.keys(value);
  if (keys.length !== 1 || !(OPERATORS as readonly string[]).includes(keys[0]!)) return `a condition object names exactly one operator of ${OPERATORS.join(' ')} (got ${keys.join(', ') || 'none'})`;
  const arg = (value as Record<string, unknown>)[keys[0]!];
  for (const a of Array.isArray(arg) ? arg : [arg]) {
    const problem = conditionProblem(a, depth + 1, budget);
    if (problem) return problem;
  }
  return null;
}

/**
 * The zod schema of a condition: any JSON checked by {@link conditionProblem} (a refinement rather
 * than a recursive schema, so the OpenAPI document stays finite).
 */
export const conditionSchema = z
  .unknown()
  .superRefine((v, ctx) => {
    const problem = conditionProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform((v) => v as Condition)
  .describe('A JSON-logic condition: {"==": [{"var": "nodes.<id>.result"}, "yes"]}; operators var == != < <= > >= and or ! in');

/** What a condition may read of a predecessor. */
export interface NodeOutcome {
  status: 'completed' | 'failed' | 'skipped';
  result: string | null;
}

/** The `var` paths a condition reads (for validation: each must name a predecessor). */
export function varsOf(c: Condition, out: string[] = []): string[] {
  if (c === null || typeof c !== 'object') return out;
  for (const [op, arg] of Object.entries(c)) {
    if (op === 'var' && typeof arg === 'string') out.push(arg);
    else for (const a of Array.isArray(arg) ? arg : [arg]) varsOf(a, out);
  }
  return out;
}

/** The node a `var` path names, or a sentence saying why the path is not one. */
export function nodeOfVar(path: string): { node: string } | { error: string } {
  const m = /^nodes\.([a-z][a-z0-9_-]{0,39})\.(status|result|json(\.[A-Za-z0-9_-]+)*)$/.exec(path);
  return m ? { node: m[1]! } : { error: `"${path}" is not nodes.<id>.status, nodes.<id>.result or nodes.<id>.json.<path>` };
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  const trimmed = text.trim();
  const fenced = /^```(?:json)?\s*([\s\S]*?)```$/.exec(trimmed);
  try {
    return JSON.parse(fenced ? fenced[1]! : trimmed);
  } catch {
    return null;
  }
}

function read(path: string, outcomes: Readonly<Record<string, NodeOutcome>>): unknown {
  const [, node, field, ...rest] = path.split('.');
  const o = outcomes[node ?? ''];
  if (!o) return null;
  if (field === 'status') return o.status;
  if (field === 'result') return o.result;
  let v = parseJson(o.result);
  for (const key of rest) v = v !== null && typeof v === 'object' ? ((v as Record<string, unknown>)[key] ?? null) : null;
  return v;
}

/** Evaluates a condition against predecessors' outcomes; throws on a malformed one (validation catches those first). */
export function evaluate(c: Condition, outcomes: Readonly<Record<string, NodeOutcome>>): unknown {
  let budget = MAX_NODES;
  const ev = (x: Condition, depth: number): unknown => {
    if (--budget < 0 || depth > MAX_DEPTH) throw new Error('condition too large');
    if (x === null || typeof x !== 'object') return x;
    const [op, raw] = Object.entries(x)[0]!;
    const args = Array.isArray(raw) ? raw : [raw];
    const val = (i: number) => ev(args[i] as Condition, depth + 1);
    switch (op) {
      case 'var':
        return typeof raw === 'string' ? read(raw, outcomes) : null;
      case '==':
        return looseEqual(val(0), val(1));
      case '!=':
        return !looseEqual(val(0), val(1));
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const [a, b] = [Number(val(0)), Number(val(1))];
        if (Number.isNaN(a) || Number.isNaN(b)) return false;
        return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
      }
      case 'and':
        return args.every((_, i) => truthy(val(i)));
      case 'or':
        return args.some((_, i) => truthy(val(i)));
      case '!':
        return !truthy(val(0));
      case 'in': {
        const [needle, hay] = [val(0), val(1)];
        if (Array.isArray(hay)) return hay.some((h) => looseEqual(h, needle));
        return typeof hay === 'string' && needle !== null && hay.toLowerCase().includes(String(needle).toLowerCase());
      }
      default:
        throw new Error(`unknown operator ${op}`);
    }
  };
  return ev(c, 0);
}

/** A condition's verdict: JSON-logic truthiness of its value. */
export function holds(c: Condition, outcomes: Readonly<Record<string, NodeOutcome>>): boolean {
  return truthy(evaluate(c, outcomes));
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return Boolean(v);
}

function looseEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.trim() === b.trim();
  if ((typeof a === 'number' && typeof b === 'string') || (typeof a === 'string' && typeof b === 'number')) return Number(a) === Number(b);
  return a === b;
}
