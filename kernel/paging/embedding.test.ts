import { expect, test } from 'bun:test';
import { cosine, EMBEDDING_DIMS, hashEmbedding } from './hash-embedding';

test('hash embeddings are deterministic, normalised, and closer for related texts', () => {
  const a = hashEmbedding('Melanie painted a sunrise over the lake');
  expect(a).toHaveLength(EMBEDDING_DIMS);
  expect(hashEmbedding('Melanie painted a sunrise over the lake')).toEqual(a);
  expect(cosine(a, a)).toBeCloseTo(1, 6);
  const related = cosine(a, hashEmbedding('When did Melanie paint the sunrise?'));
  const unrelated = cosine(a, hashEmbedding('Caroline joined a support group'));
  expect(related).toBeGreaterThan(unrelated);
  expect(hashEmbedding('')).toEqual(new Array(EMBEDDING_DIMS).fill(0));
});
