import { getTableColumns, type InferSelectModel, type Table } from 'drizzle-orm';

/** The rows of a raw `db.execute` result, on postgres.js (an array) and PGlite (`{ rows }`) alike. */
export function rowsOf<T = Record<string, unknown>>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/**
 * A table's typed row from a raw row (database column names, driver values), mapped by the table's
 * own column definitions — what a drizzle `select()` of the table would have returned.
 */
export function rowFromRaw<T extends Table>(table: T, raw: Record<string, unknown>): InferSelectModel<T> {
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = raw[column.name];
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return out as InferSelectModel<T>;
}
