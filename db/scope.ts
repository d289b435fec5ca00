import { and, eq, lte, or, type SQL } from 'drizzle-orm';
import type { AgentRow } from './agents';
import { contextPages } from './schema';

/** Which pages an agent can see: its own, and (for forks) its ancestors' up to the fork step. */
export type PageScope = ReadonlyArray<{ agentId: string; upToStep: number | null }>;

/** The SQL condition selecting the live (not retired) pages in a scope, for any query over `context_pages`. */
export function scopeFilter(scope: PageScope): SQL {
  const parts = scope.map((s) => (s.upToStep === null ? eq(contextPages.agentId, s.agentId) : and(eq(contextPages.agentId, s.agentId), lte(contextPages.step, s.upToStep))!));
  return and(eq(contextPages.retired, false), parts.length === 1 ? parts[0]! : or(...parts)!)!;
}

/** Where a fork came from: the parent agent and the last step it shares. */
export interface ForkOrigin {
  agentId: string;
  step: number;
}

/**
 * The pages an agent sees: its own, plus — for a fork — its ancestors' up to each fork point
 * (copy-on-write: shared pages are never copied, and nothing the parent writes later is visible).
 */
export function scopeOf(agent: Pick<AgentRow, 'id' | 'definition' | 'tenant'>): PageScope {
  const definition = agent.definition as { lineage?: ForkOrigin[]; crew?: string };
  const lineage = (definition.lineage ?? []).map((o) => ({ agentId: o.agentId, upToStep: o.step }));
  const crew = definition.crew ? [{ agentId: crewRecordId(definition.crew, agent.tenant), upToStep: null }] : [];
  return [{ agentId: agent.id, upToStep: null }, ...lineage, ...crew];
}

/**
 * The record that owns a crew's shared memories (pages need an owner): one per tenant and crew name,
 * `crew-<name>@<tenant>`. No agent id holds "@", so no agent can be taken for a crew record (migration
 * 0013 moved the records made before).
 */
export function crewRecordId(crew: string, tenant: string): string {
  return `crew-${crew}@${tenant}`;
}
