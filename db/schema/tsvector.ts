import { customType } from 'drizzle-orm/pg-core';

/** Postgres `tsvector`, for full-text retrieval (available on every Postgres, no extension). */
export const tsvector = customType<{ data: string }>({
  dataType: () => 'tsvector',
});
