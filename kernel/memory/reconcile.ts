import { factKey, sameValue, type Fact, type StoredFact } from './fact';

/** What to do with one extracted fact against what is held (Mem0's ADD / UPDATE / NOOP; deletion is a person's call). */
export type FactAction =
  | { kind: 'add'; fact: Fact }
  /** A new version of the entity's attribute; the one it replaces (stored, or added earlier in this batch) is closed, not overwritten. */
  | { kind: 'update'; fact: Fact; previous: Fact | StoredFact }
  | { kind: 'noop'; fact: Fact };

/**
 * Reconciles facts, in the order they were said, with the current facts: a new entity or attribute is
 * added; a changed value is an update; the same value again is left alone — so a fact already held
 * is never stored twice, even when one batch says it twice. A batch that changes a value twice
 * yields two updates (each version keeps its time of validity), the last one current.
 */
export function reconcileFacts(current: readonly StoredFact[], extracted: readonly Fact[]): FactAction[] {
  const held = new Map<string, Fact | StoredFact>(current.map((f) => [factKey(f), f]));
  return extracted.map((fact): FactAction => {
    const key = factKey(fact);
    const previous = held.get(key);
    if (previous && sameValue(previous.value, fact.value)) return { kind: 'noop', fact };
    held.set(key, fact);
    return previous ? { kind: 'update', fact, previous } : { kind: 'add', fact };
  });
}
