/** What the Temporal UI shows about an agent's workflow. */
export interface AgentDetailsInput {
  role: string;
  goal: string;
  tenant: string;
  model: string;
  priority: number;
  crewId?: string;
}

/** One line of markdown, without anything that would start a new block. */
const inline = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return (flat.length > max ? `${flat.slice(0, max - 1)}…` : flat).replace(/([\\`*_[\]<>|#])/g, '\\$1');
};

/** The workflow's static details: role, goal, tenant, model and priority, as a short markdown list (the UI's "Details"). */
export function agentDetails(a: AgentDetailsInput): string {
  return [
    `- **Role:** ${inline(a.role, 200)}`,
    `- **Goal:** ${inline(a.goal, 400)}`,
    `- **Tenant:** ${inline(a.tenant, 80)}`,
    `- **Model:** ${inline(a.model, 80)}`,
    `- **Priority:** ${a.priority}`,
    ...(a.crewId ? [`- **Crew:** ${inline(a.crewId, 120)}`] : []),
  ].join('\n');
}
