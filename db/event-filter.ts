import { like, or, sql, type SQL } from 'drizzle-orm';
import type { TypePattern } from '../kernel/events/type-filter';
import { agentEvents, agents, crews } from './schema';

/** The SQL condition for event types matching the patterns (a family by prefix, `_` and `%` escaped); undefined: every type. */
export function eventTypeFilter(patterns: readonly TypePattern[]): SQL | undefined {
  if (patterns.some((p) => p.kind === 'all')) return undefined;
  const esc = (s: string) => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
  return or(...patterns.map((p) => (p.kind === 'exact' ? sql`${agentEvents.kind} = ${p.type}` : like(agentEvents.kind, `${esc(p.kind === 'prefix' ? p.prefix : '')}%`))));
}

/** The SQL condition for events of a tenant's agents and crews. */
export function tenantEventFilter(tenant: string): SQL {
  return sql`(${agentEvents.agentId} in (select ${agents.id} from ${agents} where ${agents.tenant} = ${tenant}) or ${agentEvents.agentId} in (select ${crews.id} from ${crews} where ${crews.tenant} = ${tenant}))`;
}
