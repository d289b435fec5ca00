import { expect } from 'bun:test';
import type { Stack } from '../../infra/stack';
import { postJson } from './stack';
import { waitFor } from './wait';
import { rootFetch } from './keys';

/** The agent view as tests read it. */
export interface AgentView {
  id: string;
  status: string;
  hold: string | null;
  holdDetail: string | null;
  node: string | null;
  branch: number;
  step: number;
  live: boolean;
  priority: number;
  result: string | null;
  error: string | null;
  exitReason: string | null;
  pendingApproval: { callId: string; tool: string; step: number } | null;
  budget: { maxTotalTokens: number | null; maxCostUsd: number | null } | null;
  usage: { promptTokens: number; completionTokens: number; totalTokens: number; costUsd: number };
}

/** A thin HTTP client over one test stack's API. */
export function agentClient(stack: Stack) {
  const api = () => stack.apiUrl!;
  return {
    async spawn(body: Record<string, unknown>): Promise<AgentView> {
      const res = await postJson(stack, '/agents', { role: 'a tester', goal: 'exercise the kernel', input: 'hello', ...body });
      expect(res.status).toBe(201);
      return (await res.json()) as AgentView;
    },
    async get(id: string): Promise<AgentView> {
      const res = await rootFetch(`${api()}/agents/${id}`);
      expect(res.status).toBe(200);
      return (await res.json()) as AgentView;
    },
    post: (path: string, body: unknown) => postJson(stack, path, body),
    put: (path: string, body: unknown) => rootFetch(`${api()}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    async until(id: string, ready: (v: AgentView) => boolean, what: string, timeoutMs = 20_000): Promise<AgentView> {
      return waitFor(() => this.get(id), ready, timeoutMs, `${id}: ${what}`);
    },
    async settle(id: string): Promise<AgentView> {
      await stack.client.workflow.getHandle(id).result().catch(() => undefined);
      return this.get(id);
    },
  };
}
