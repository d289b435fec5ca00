import { bigserial, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Live config: each accepted change of the settings that apply without a restart, in order; every process applies the newest. */
export const configVersions = pgTable('config_versions', {
  version: bigserial('version', { mode: 'number' }).primaryKey(),
  /** The live settings' values as the schema reads them (strings), from the file that was read. */
  values: jsonb('values').$type<Record<string, string>>().notNull(),
  /** Where they came from (the file's path) and which process read it. */
  source: text('source').notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
