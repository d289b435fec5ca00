import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from '../db/client';
import { getAgentRecord } from '../db/agents';
import { emitEvent } from '../db/events';
import type { PubSub } from '../db/notify';
import { findPage, toPageRef, writePage } from '../db/pages';
import { toolCalls } from '../db/schema';
import type { PageRef } from '../kernel/agent/state';
import type { ToolCall } from '../kernel/llm/types';
import type { ApprovalDecision } from '../kernel/tools/policy';
import type { ToolRegistry } from './tools/registry';

/** One tool call to carry out (or to answer with a refusal). */
export interface RunToolInput {
  agentId: string;
  step: number;
  callId: string;
  /** The human decision for tools that require approval. */
  decision?: ApprovalDecision;
}

/** What the tool activity needs from its node. */
export interface RunToolDeps {
  db: Db;
  pubsub: PubSub;
  tools: ToolRegistry;
}

/**
 * Builds the `runTool` activity: validates and runs one tool call, stores the call (tool memory)
 * and its result as a tool_result page. Idempotent per call id: a retry returns the stored result,
 * and tools with side effects receive an idempotency key so they act once.
 */
export function createRunTool(deps: RunToolDeps) {
  const { db } = deps;
  return async function runTool(input: RunToolInput): Promise<PageRef> {
    const purpose = `tool:${input.callId}`;
    const done = await findPage(db, input.agentId, input.step, purpose);
    if (done) return toPageRef(done);

    const reply = await findPage(db, input.agentId, input.step, 'reply');
    const call = ((reply?.meta as { toolCalls?: ToolCall[] } | undefined)?.toolCalls ?? []).find((c) => c.id === input.callId);
    if (!call) throw ApplicationFailure.nonRetryable(`no tool call ${input.callId} in step ${input.step} of ${input.agentId}`, 'UnknownToolCall');
    const agent = await getAgentRecord(db, input.agentId);
    const allowed = (agent?.definition as { tools?: string[] } | undefined)?.tools ?? [];
    const tool = deps.tools.get(call.name);

    const started = performance.now();
    let status: 'succeeded' | 'failed' | 'rejected' | 'refused';
    let result: string;
    if (!tool || !allowed.includes(call.name)) {
      status = 'refused';
      result = `error: tool "${call.name}" is not allowed for this agent (allowed: ${allowed.join(', ') || 'none'})`;
    } else if (tool.requiresApproval && !input.decision?.approved) {
      status = 'rejected';
      result = `the call was rejected by ${input.decision?.approver ?? 'policy'}${input.decision?.reason ? `: ${input.decision.reason}` : ''}`;
    } else {
      const args = tool.args.safeParse(call.arguments);
      if (!args.success) {
        status = 'refused';
        result = `error: invalid arguments for ${call.name}: ${args.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`;
      } else {
        const ctx = Context.current();
        try {
          result = await tool.run(args.data, { agentId: input.agentId, step: input.step, callId: input.callId, idempotencyKey: agent?.branch ? `${input.agentId}:b${agent.branch}:${input.callId}` : `${input.agentId}:${input.callId}`, db, signal: ctx.cancellationSignal });
          status = 'succeeded';
        } catch (err) {
          status = 'failed';
          result = `error: ${call.name} failed: ${(err as Error).message}`;
        }
      }
    }

    // The result page and its tool_calls row commit together, so a retry never finds one without the other.
    const page = await db.transaction(async (tx) => {
      const written = await writePage(tx, {
        agentId: input.agentId,
        step: input.step,
        purpose,
        kind: 'tool_result',
        role: 'tool',
        body: result,
        meta: { toolCallId: call.id, toolName: call.name, status },
      });
      await tx
        .insert(toolCalls)
        .values({
          id: `${input.agentId}:${input.callId}`,
          agentId: input.agentId,
          step: input.step,
          callId: input.callId,
          tool: call.name,
          arguments: call.arguments,
          status,
          decidedBy: input.decision?.approver ?? null,
          result,
          resultPageId: written.id,
          durationMs: Math.round(performance.now() - started),
        })
        .onConflictDoNothing();
      return written;
    });
    await emitEvent(db, deps.pubsub, { agentId: input.agentId, step: input.step, kind: 'tool.completed', data: { callId: call.id, tool: call.name, status } });
    return toPageRef(page);
  };
}
