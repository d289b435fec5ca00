import type { ChatMessage, ToolCall } from '../llm/types';
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

/** A page with what prompt assembly needs: its body and, for tool traffic, call metadata. */
export type PromptPage = PageRef & { body: string; meta?: { toolCalls?: ToolCall[]; toolCallId?: string; toolName?: string } };

/** The chat for one step: the system prompt, then every page of the page table in order. */
export function buildMessages(agent: AgentIdentity, pages: ReadonlyArray<PromptPage>): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: systemPrompt(agent) }];
  // Paging may keep a call without its result or a result without its call; providers reject
  // both, so such halves are rendered as plain text instead.
  const results = new Set(pages.flatMap((p) => (p.role === 'tool' && p.meta?.toolCallId ? [p.meta.toolCallId] : [])));
  const calls = new Set(pages.flatMap((p) => (p.role === 'assistant' ? (p.meta?.toolCalls ?? []).map((c) => c.id) : [])));
  for (const page of pages) {
    if (page.role === 'assistant') {
      const toolCalls = page.meta?.toolCalls;
      const complete = toolCalls?.length && toolCalls.every((c) => results.has(c.id));
      messages.push(complete ? { role: 'assistant', content: page.body, toolCalls } : { role: 'assistant', content: page.body });
    } else if (page.role === 'tool' && page.meta?.toolCallId) {
      const id = page.meta.toolCallId;
      const paired = calls.has(id) && pages.some((p) => p.role === 'assistant' && (p.meta?.toolCalls ?? []).every((c) => results.has(c.id)) && (p.meta?.toolCalls ?? []).some((c) => c.id === id));
      messages.push(paired ? { role: 'tool', content: page.body, toolCallId: id, toolName: page.meta.toolName ?? 'tool' } : { role: 'user', content: `(result of ${page.meta.toolName ?? 'a tool'}, earlier) ${page.body}` });
    } else {
      messages.push({ role: page.role === 'system' ? 'system' : 'user', content: page.body });
    }
  }
  return messages;
}

/** The deterministic id of the page an agent writes at a step for a purpose (idempotent upserts). */
export function pageId(agentId: string, step: number, purpose: string): string {
  return `${agentId}.s${step}.${purpose}`;
}
