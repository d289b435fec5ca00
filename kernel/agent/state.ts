import { z } from 'zod';

/** Lifecycle states of an agent process. */
export const agentStatusSchema = z.enum(['ready', 'running', 'waiting', 'suspended', 'completed', 'failed', 'terminated']);
/** A lifecycle state. */
export type AgentStatus = z.infer<typeof agentStatusSchema>;

/** Why a finished agent stopped. */
export type ExitReason = 'final_answer' | 'max_steps' | 'error' | 'killed';

/** A page as the workflow knows it: a reference and its size, never its body. */
export interface PageRef {
  id: string;
  kind: 'message' | 'tool_result' | 'document' | 'summary' | 'memory' | 'system';
  role: 'system' | 'user' | 'assistant' | 'tool';
  tokens: number;
  step: number;
}

/** Tokens spent so far. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** Adds two usages. */
export function addUsage(a: Usage, b: Usage): Usage {
  return { promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens };
}

/** What `agentWorkflow` starts from: ids and limits only (bodies are in Postgres). */
export interface AgentRunInput {
  agentId: string;
  model: string;
  maxSteps: number;
  maxTokensPerStep: number;
  /** The page table so far (the input page on first start; everything on continue-as-new). */
  pages: PageRef[];
  /** Steps already taken (non-zero after continue-as-new). */
  step: number;
  usage: Usage;
}

/** The live state of an agent, returned by the `state` query. */
export interface AgentSnapshot {
  agentId: string;
  status: AgentStatus;
  step: number;
  maxSteps: number;
  model: string;
  pages: PageRef[];
  usage: Usage;
  resultPageId: string | null;
  exitReason: ExitReason | null;
  error: string | null;
}

/** The workflow's return value. */
export interface AgentResult {
  agentId: string;
  status: 'completed' | 'failed' | 'terminated';
  exitReason: ExitReason;
  steps: number;
  resultPageId: string | null;
  usage: Usage;
}
