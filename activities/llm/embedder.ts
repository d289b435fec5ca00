import { z } from 'zod';
import { EMBEDDING_DIMS, hashEmbedding } from '../../kernel/paging/hash-embedding';
import { ProviderError } from '../../kernel/llm/errors';
import { postJson } from './http';

/** Turns texts into vectors of {@link EMBEDDING_DIMS} dimensions. */
export interface Embedder {
  readonly model: string;
  embed(texts: string[]): Promise<number[][]>;
}

/** The offline default: deterministic feature hashing (no model, no network). */
export const hashEmbedder: Embedder = { model: 'hash-384', embed: async (texts) => texts.map((t) => hashEmbedding(t)) };

const responseSchema = z.object({ data: z.array(z.object({ index: z.number(), embedding: z.array(z.number()) })) });

/** An OpenAI-compatible `/embeddings` endpoint (OpenAI text-embedding-3-*, vLLM, Ollama), at 384 dimensions. */
export function openAiEmbedder(model: string, baseUrl: string, apiKey: string | undefined): Embedder {
  return {
    model,
    async embed(texts) {
      const raw = await postJson('openai-embeddings', `${baseUrl.replace(/\/$/, '')}/embeddings`, apiKey ? { authorization: `Bearer ${apiKey}` } : {}, { model, input: texts, dimensions: EMBEDDING_DIMS });
      const parsed = responseSchema.safeParse(raw);
      if (!parsed.success) throw new ProviderError('openai-embeddings', 502, parsed.error.message);
      const out = [...parsed.data.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
      if (out.some((v) => v.length !== EMBEDDING_DIMS)) throw new ProviderError('openai-embeddings', 502, `expected ${EMBEDDING_DIMS} dimensions`);
      return out;
    },
  };
}
