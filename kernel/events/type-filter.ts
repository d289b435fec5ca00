import { KernelError } from '../errors';

/** One event-type pattern: an exact type (`tool.completed`), a family (`agent.*`), or every type (`*`). */
export type TypePattern = { kind: 'all' } | { kind: 'exact'; type: string } | { kind: 'prefix'; prefix: string };

const PATTERN = /^(?:\*|[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*(?:\.\*)?)$/;

/**
 * Parses `?types=agent.*,tool.completed` (comma-separated; absent or empty: every type). A pattern
 * that is not a type, a `family.*` or `*` is a 400 naming it; at most 20.
 */
export function parseTypePatterns(raw: string | undefined): TypePattern[] {
  const parts = (raw ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) return [{ kind: 'all' }];
  if (parts.length > 20) throw new KernelError('invalid_input', `types takes at most 20 patterns, got ${parts.length}`);
  return parts.map((p): TypePattern => {
    if (p.length > 80 || !PATTERN.test(p)) throw new KernelError('invalid_input', `"${p.slice(0, 80)}" is not an event type pattern: use a type (tool.completed), a family (agent.*) or *`);
    if (p === '*') return { kind: 'all' };
    return p.endsWith('.*') ? { kind: 'prefix', prefix: p.slice(0, -1) } : { kind: 'exact', type: p };
  });
}

/** True when an event type matches any of the patterns. */
export function matchesType(type: string, patterns: readonly TypePattern[]): boolean {
  return patterns.some((p) => p.kind === 'all' || (p.kind === 'exact' ? type === p.type : type.startsWith(p.prefix)));
}
