import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from './client';
import { mcpServers } from './schema';

/** A tenant's servers by name (for an agent's allow-list). */
export async function mcpServersByName(db: Db, tenant: string, names: readonly string[]): Promise<Array<typeof mcpServers.$inferSelect>> {
  if (!names.length) return [];
  return db.select().from(mcpServers).where(and(eq(mcpServers.tenant, tenant), inArray(mcpServers.name, [...names])));
}
