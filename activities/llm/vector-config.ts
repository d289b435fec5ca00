import type { VectorRetrieval } from '../../db/retrieval';
import type { Config } from '../../kernel/config';
import type { Logger } from '../../infra/logger';
import { hashEmbedder, openAiEmbedder } from './embedder';

/** Vector retrieval from config: on only where pgvector exists and EMBEDDING_MODEL names a model. */
export function vectorRetrieval(config: Pick<Config, 'EMBEDDING_MODEL' | 'VECTOR_WEIGHT' | 'OPENAI_BASE_URL' | 'OPENAI_API_KEY'>, pgvector: boolean, logger: Logger): VectorRetrieval | undefined {
  const model = config.EMBEDDING_MODEL;
  if (!model) return undefined;
  if (!pgvector) {
    logger.warn({ model }, 'EMBEDDING_MODEL is set but the database has no pgvector; retrieval stays full-text only');
    return undefined;
  }
  const embedder = model === 'hash' ? hashEmbedder : openAiEmbedder(model.replace(/^openai:/, ''), config.OPENAI_BASE_URL, config.OPENAI_API_KEY);
  return { embedder, weight: config.VECTOR_WEIGHT };
}
