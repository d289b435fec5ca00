import type { AgentRow } from '../db/agents';

/** What a step's context reads depend on in an agent's row: who it is and what it may see and use. */
export type AgentIdentityRow = Pick<AgentRow, 'id' | 'tenant' | 'role' | 'goal' | 'backstory' | 'definition'>;

const MAX_ENTRIES = 10_000;

/**
 * The identity each agent had at its last step on this worker: a hint that lets the next step start
 * its context reads before its claim returns. Only a hint — the step compares it with the row it
 * claims and reads again when they differ (a rewind of a fork's parent rewrites its lineage).
 */
export class IdentityHints {
  private readonly known = new Map<string, { row: AgentIdentityRow; key: string }>();

  /** The identity last seen for the agent, if any. */
  get(agentId: string): AgentIdentityRow | undefined {
    return this.known.get(agentId)?.row;
  }

  /** Remembers the identity of a claimed row; returns whether it equals the hint that was given. */
  remember(row: AgentIdentityRow, hint: AgentIdentityRow | undefined): boolean {
    const key = keyOf(row);
    const same = hint !== undefined && this.known.get(row.id)?.key === key;
    this.known.delete(row.id);
    if (this.known.size >= MAX_ENTRIES) this.known.delete(this.known.keys().next().value!);
    this.known.set(row.id, { row: { id: row.id, tenant: row.tenant, role: row.role, goal: row.goal, backstory: row.backstory, definition: row.definition }, key });
    return same;
  }
}

function keyOf(row: AgentIdentityRow): string {
  return JSON.stringify([row.tenant, row.role, row.goal, row.backstory, row.definition]);
}
