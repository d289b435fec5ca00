-- Vector role, applied only where the pgvector extension exists (PGlite here; Postgres with pgvector
-- in production). Retrieval falls back to full-text ranking everywhere else.
CREATE TABLE IF NOT EXISTS page_embeddings (
  page_id text PRIMARY KEY REFERENCES context_pages(id) ON DELETE CASCADE,
  agent_id text NOT NULL,
  model text NOT NULL,
  embedding vector(384) NOT NULL
);
CREATE INDEX IF NOT EXISTS page_embeddings_agent_idx ON page_embeddings (agent_id);
CREATE INDEX IF NOT EXISTS page_embeddings_hnsw_idx ON page_embeddings USING hnsw (embedding vector_cosine_ops);
