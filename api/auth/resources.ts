import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { agents, apiKeys, crews, mcpServers, memories, schedules, webhooks } from '../../db/schema';
import type { ResourceKind } from './policy';

/** What each kind is called in a 404 (the same sentence the route gives for an unknown id). */
const NOUN: Record<ResourceKind, string> = { agent: 'agent', crew: 'crew', schedule: 'schedule', memory: 'memory', tenant: 'tenant', key: 'key', 'mcp-server': 'MCP server', webhook: 'webhook' };

/** The noun a 404 uses for a kind. */
export function resourceNoun(kind: ResourceKind): string {
  return NOUN[kind];
}

/** The tenant owning a resource, or undefined when there is no such row (the route then answers 404 itself). */
export async function tenantOf(db: Db, kind: ResourceKind, id: string): Promise<string | undefined> {
  const one = async (q: Promise<Array<{ tenant: string }>>) => (await q)[0]?.tenant;
  switch (kind) {
    case 'agent':
      return one(db.select({ tenant: agents.tenant }).from(agents).where(eq(agents.id, id)).limit(1));
    case 'crew':
      return one(db.select({ tenant: crews.tenant }).from(crews).where(eq(crews.id, id)).limit(1));
    case 'schedule':
      return one(db.select({ tenant: schedules.tenant }).from(schedules).where(eq(schedules.id, id)).limit(1));
    case 'memory':
      return one(db.select({ tenant: agents.tenant }).from(memories).innerJoin(agents, eq(agents.id, memories.agentId)).where(eq(memories.id, id)).limit(1));
    case 'key':
      return one(db.select({ tenant: apiKeys.tenant }).from(apiKeys).where(eq(apiKeys.id, id)).limit(1));
    case 'mcp-server':
      return one(db.select({ tenant: mcpServers.tenant }).from(mcpServers).where(eq(mcpServers.id, id)).limit(1));
    case 'webhook':
      return one(db.select({ tenant: webhooks.tenant }).from(webhooks).where(eq(webhooks.id, id)).limit(1));
    case 'tenant':
      return id;
  }
}
