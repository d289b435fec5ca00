import type { ChatMessage } from '../llm/types';
import type { PageRef } from './state';

/** Who the agent is, as stored at spawn. */
export interface AgentIdentity {
  role: string;
  goal: string;
  backstory: string | null;
}

/** The system prompt: stable across steps so provider prompt caches hit. */
export function systemPrompt(agent: AgentIdentity): string {
  const lines = [`You are ${agent.role}.`, `Goal: ${agent.goal}`];
  if (agent.backstory) lines.push(`Backstory: ${agent.backstory}`);
  lines.push('Work step by step. When the goal is met, give your final answer.');
  return lines.join('\n');
}

/** The chat for one step: the system prompt, then every page of the page table in order. */
export function buildMessages(agent: AgentIdentity, pages: ReadonlyArray<PageRef & { body: string }>): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: systemPrompt(agent) }];
  for (const page of pages) {
    const role = page.role === 'assistant' ? 'assistant' : page.role === 'system' ? 'system' : 'user';
    messages.push({ role, content: page.body });
  }
  return messages;
}

/** The deterministic id of the page an agent writes at a step for a purpose (idempotent upserts). */
export function pageId(agentId: string, step: number, purpose: string): string {
  return `${agentId}.s${step}.${purpose}`;
}
