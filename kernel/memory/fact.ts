/** A fact about an entity: `entity`'s `attribute` is `value` (one current value per entity and attribute). */
export interface Fact {
  /** Who or what the fact is about, as written (e.g. "Caroline", "user"). */
  entity: string;
  /** snake_case: lives_in, works_at, name, age, job, birthday, favorite_<thing>, <relation>_name. */
  attribute: string;
  value: string;
  /** The sentence it was read from (kept in the fact's memory, so retrieval finds it in words). */
  sentence: string;
}

/** A fact as stored: its memory id (the current version of its chain). */
export interface StoredFact extends Fact {
  id: string;
}

/** An entity name as a key: lower case, single spaces. */
export function entityKey(entity: string): string {
  return entity.trim().toLowerCase().replace(/\s+/g, ' ');
}

/** The memory key of an entity's attribute: `<entity>.<attribute>` (max 200 characters). */
export function factKey(f: Pick<Fact, 'entity' | 'attribute'>): string {
  return `${entityKey(f.entity)}.${f.attribute}`.slice(0, 200);
}

/** A value as compared: lower case, no articles, no punctuation, single spaces ("the Boston office." = "boston office"). */
export function sameValue(a: string, b: string): boolean {
  const norm = (v: string) => v.toLowerCase().replace(/[^\p{L}\p{N}\s]/gu, ' ').replace(/\b(the|a|an)\b/g, ' ').replace(/\s+/g, ' ').trim();
  return norm(a) === norm(b);
}

/** The sentence a fact's memory holds: "Caroline lives in: Boston". */
export function factSentence(f: Pick<Fact, 'entity' | 'attribute' | 'value'>): string {
  return `${f.entity} ${f.attribute.replaceAll('_', ' ')}: ${f.value}`;
}
