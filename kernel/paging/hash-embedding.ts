/** Dimensions of stored embeddings (`page_embeddings.embedding vector(384)`). */
export const EMBEDDING_DIMS = 384;

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const STOP = new Set(['the', 'a', 'an', 'and', 'or', 'of', 'to', 'in', 'on', 'is', 'was', 'it', 'i', 'you', 'that', 'for', 'with', 'my', 'me', 'so', 'be', 'this', 'are', 'what', 'when', 'did', 'do']);

/** Crude English stemming so "painting", "painted" and "paints" share a feature. */
function stem(w: string): string {
  return w.replace(/(ing|ed|es|s)$/, '').slice(0, 12);
}

/**
 * A deterministic, offline embedding: signed feature hashing of stemmed words, word bigrams and
 * character trigrams into {@link EMBEDDING_DIMS} dimensions, L2-normalised. It needs no model; a
 * real embedding model plugs in through the same interface where one is configured.
 */
export function hashEmbedding(text: string, dims: number = EMBEDDING_DIMS): number[] {
  const v = new Array<number>(dims).fill(0);
  const words = (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => !STOP.has(w)).map(stem);
  const add = (feature: string, weight: number) => {
    const h = fnv1a(feature);
    v[h % dims]! += (h & 0x80000000 ? -1 : 1) * weight;
  };
  words.forEach((w, i) => {
    add(`w:${w}`, 1);
    if (i > 0) add(`b:${words[i - 1]} ${w}`, 0.5);
    for (let j = 0; j + 3 <= w.length; j++) add(`c:${w.slice(j, j + 3)}`, 0.2);
  });
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

/** Cosine similarity of two L2-normalised vectors. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * (b[i] ?? 0);
  return s;
}
