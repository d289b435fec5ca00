import { afterAll, describe, expect, test } from 'bun:test';
import { EMBEDDING_DIMS } from '../../kernel/paging/hash-embedding';
import { openAiEmbedder } from './embedder';

/** A local OpenAI-compatible /embeddings server that records what it is sent. */
function fakeEmbeddings(dims: number) {
  const requests: Array<{ path: string; auth: string | null; body: { model: string; input: string[]; dimensions: number } }> = [];
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const body = (await req.json()) as { model: string; input: string[]; dimensions: number };
      requests.push({ path: new URL(req.url).pathname, auth: req.headers.get('authorization'), body });
      // Answer out of order, as the API allows: the embedder must sort by index.
      const data = body.input.map((text, index) => ({ index, embedding: Array.from({ length: dims }, (_, i) => (i === 0 ? text.length : index)) })).reverse();
      return Response.json({ data });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/v1`, requests, stop: () => server.stop(true) };
}

describe('OpenAI-compatible embedder over real HTTP', () => {
  const ok = fakeEmbeddings(EMBEDDING_DIMS);
  const wrong = fakeEmbeddings(1536);
  afterAll(async () => {
    await ok.stop();
    await wrong.stop();
  });

  test('asks for 384 dimensions with the model and key, and returns vectors in input order', async () => {
    const vectors = await openAiEmbedder('text-embedding-3-small', ok.url, 'sk-test').embed(['a', 'bbb', 'cc']);
    expect(ok.requests).toHaveLength(1);
    expect(ok.requests[0]).toEqual({ path: '/v1/embeddings', auth: 'Bearer sk-test', body: { model: 'text-embedding-3-small', input: ['a', 'bbb', 'cc'], dimensions: 384 } });
    expect(vectors.map((v) => [v[0], v[1], v.length])).toEqual([[1, 0, 384], [3, 1, 384], [2, 2, 384]]);
  });

  test('a server that ignores the dimensions is refused with a clear error', async () => {
    const err = await openAiEmbedder('some-model', wrong.url, undefined).embed(['x']).catch((e: unknown) => e);
    expect((err as Error).message).toContain('expected 384 dimensions');
    expect(wrong.requests[0]!.auth).toBeNull();
  });
});
