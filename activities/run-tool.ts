import { observedToolCall, type ToolOutcome } from '../infra/telemetry/tool-call';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { inArray } from 'drizzle-orm';
import type { Db } from '../db/client';
import { getAgentRecord } from '../db/agents';
import { EVENTS_CHANNEL } from '../db/events';
import { fenceCheck } from '../db/fence';
import type { PubSub } from '../db/notify';
import { findPage, toPageRef, writePage } from '../db/pages';
import { leasedDevices } from '../db/leases';
import { agentEvents, toolCalls } from '../db/schema';
import type { PageRef } from '../kernel/agent/state';
import type { Spend } from '../kernel/cost/budget';
import type { KernelLimits } from '../kernel/limits';
import { currentRun } from './run-identity';
import { claimStep, fencedOut, type DetectedRewind } from './step-claim';
import type { ToolCall } from '../kernel/llm/types';
import type { ApprovalDecision } from '../kernel/tools/policy';
import type { ToolRegistry } from './tools/registry';
import { runMcpCall } from './tools/mcp/toolset';
import type { McpHub } from './tools/mcp/hub';
import { splitToolName } from '../kernel/mcp/spec';

/** One tool call to carry out (or to answer with a refusal). */
export interface RunToolInput {
  agentId: string;
  step: number;
  callId: string;
  /** The human decision for tools that require approval. */
  decision?: ApprovalDecision;
  /** The agent's own spend so far (where a reset that lands before this call rewinds to). */
  usage?: Spend;
}

/** The wait a `wait` tool result asks the workflow for, from its page's meta. */
function sleepOf(meta: unknown): { sleepMs?: number } {
  const ms = (meta as { sleepMs?: unknown } | null)?.sleepMs;
  return typeof ms === 'number' && ms > 0 ? { sleepMs: ms } : {};
}

/** How long a wait call waits: its seconds, or until its time (never negative). */
function waitMs(args: Record<string, unknown>): number {
  if (typeof args.seconds === 'number') return Math.round(args.seconds * 1000);
  if (typeof args.until === 'string') return Math.max(0, Date.parse(args.until) - Date.now());
  return 0;
}

/** An agent row's spend (where a reset rewinds to when the workflow did not say). */
function rowUsage(row: { promptTokens: number; completionTokens: number; costUsd: number } | undefined): Spend {
  return { promptTokens: row?.promptTokens ?? 0, completionTokens: row?.completionTokens ?? 0, costUsd: row?.costUsd ?? 0 };
}

/** A tool result's page, the rewind this call detected if the workflow was reset before it, and how long the workflow is to wait (the `wait` tool). */
export type RunToolResult = PageRef & { rewound?: DetectedRewind; sleepMs?: number };

/** What the tool activity needs from its node. */
export interface RunToolDeps {
  db: Db;
  pubsub: PubSub;
  tools: ToolRegistry;
  /** Spawn defaults for tools that start agents. */
  taskQueue: string;
  defaultModel?: string;
  agingIntervalMs?: number;
  /** Live caps (spawn_agent checks a tenant's live agents). */
  limits?: KernelLimits;
  /** This node's MCP connections (tools named `server.tool`). */
  mcp?: McpHub;
}

/**
 * Builds the `runTool` activity: validates and runs one tool call, stores the call (tool memory)
 * and its result as a tool_result page. Idempotent per call id: a retry returns the stored result,
 * and tools with side effects receive an idempotency key so they act once.
 */
export function createRunTool(deps: RunToolDeps) {
  const { db } = deps;
  return async function runTool(input: RunToolInput): Promise<RunToolResult> {
    const purpose = `tool:${input.callId}`;
    const { runId } = currentRun();
    const done = await findPage(db, input.agentId, input.step, purpose);
    const writer = (done?.meta as { runId?: string } | undefined)?.runId;
    if (done && (!writer || writer === runId)) return { ...toPageRef(done), ...sleepOf(done.meta) };

    const row = await getAgentRecord(db, input.agentId);
    // Claims the agent; this call's result written by another run means the workflow was reset
    // between the step's reply and this call: what the step did from this call on is rewound.
    const claim = await claimStep(deps, {
      agentId: input.agentId,
      runId,
      foreignRecord: done !== undefined,
      boundary: done
        ? // The old run's result of this call: the reset landed inside the step, before this call.
          { toStep: input.step - 1, usage: input.usage ?? rowUsage(row), cut: { step: input.step, at: done.createdAt } }
        : // No result of this call anywhere: the reset landed after the step's reply (kept; it is in the new run's history).
          { toStep: input.step, usage: input.usage ?? rowUsage(row) },
    });
    const { agent, fence } = claim;

    const reply = await findPage(db, input.agentId, input.step, 'reply');
    const call = ((reply?.meta as { toolCalls?: ToolCall[] } | undefined)?.toolCalls ?? []).find((c) => c.id === input.callId);
    if (!call) throw ApplicationFailure.nonRetryable(`no tool call ${input.callId} in step ${input.step} of ${input.agentId}`, 'UnknownToolCall');
    const allowed = (agent.definition as { tools?: string[] } | undefined)?.tools ?? [];
    const tool = deps.tools.get(call.name);
    const mcpName = tool ? null : splitToolName(call.name);
    const idempotencyKey = agent.branch ? `${input.agentId}:b${agent.branch}:${input.callId}` : `${input.agentId}:${input.callId}`;

    const started = performance.now();
    // The model may name any tool: spans and metrics name only registered ones, and an MCP server's
    // tools by their server (a label must stay bounded).
    const { status, result } = await observedToolCall({ agentId: input.agentId, step: input.step, callId: input.callId, tool: tool ? call.name : mcpName ? `${mcpName.server}.*` : 'unknown', arguments: call.arguments }, async (): Promise<ToolOutcome> => {
      if (mcpName && deps.mcp) {
        const ctx = Context.current();
        const beat = setInterval(() => ctx.heartbeat(), 1_000);
        try {
          return await runMcpCall(db, deps.mcp, { tenant: agent.tenant, allowed, name: call.name, arguments: call.arguments, approved: input.decision?.approved === true, approver: input.decision?.approver, reason: input.decision?.reason, signal: ctx.cancellationSignal, idempotencyKey });
        } finally {
          clearInterval(beat);
        }
      }
      if (!tool || !allowed.includes(call.name)) {
        return { status: 'refused', result: `error: tool "${call.name}" is not allowed for this agent (allowed: ${allowed.join(', ') || 'none'})` };
      }
      if (tool.requiresApproval && !input.decision?.approved) {
        return { status: 'rejected', result: `the call was rejected by ${input.decision?.approver ?? 'policy'}${input.decision?.reason ? `: ${input.decision.reason}` : ''}` };
      }
      const args = tool.args.safeParse(call.arguments);
      if (!args.success) {
        return { status: 'refused', result: `error: invalid arguments for ${call.name}: ${args.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` };
      }
      const ctx = Context.current();
      // Heartbeats carry a kill to the tool within a second (its signal aborts it).
      const beat = setInterval(() => ctx.heartbeat(), 1_000);
      try {
        const devices = () => leasedDevices(db, input.agentId);
        const result = await tool.run(args.data, { agentId: input.agentId, step: input.step, callId: input.callId, idempotencyKey, db, devices, signal: ctx.cancellationSignal, kernel: { client: ctx.client, pubsub: deps.pubsub, taskQueue: deps.taskQueue, defaultModel: deps.defaultModel ?? 'scripted', agingIntervalMs: deps.agingIntervalMs ?? 30_000, tools: deps.tools, limits: deps.limits } });
        return { status: 'succeeded', result };
      } catch (err) {
        if (ctx.cancellationSignal.aborted) throw err;
        return { status: 'failed', result: `error: ${call.name} failed: ${(err as Error).message}` };
      } finally {
        clearInterval(beat);
      }
    });

    // The result page and its tool_calls row commit together, so a retry never finds one without the
    // other, and only while this attempt's fence holds: a tool that finishes after its agent was killed
    // leaves a record that it ran (its effect happened) and nothing the agent would read.
    const page = await db.transaction(async (tx) => {
      const refusal = await fenceCheck(tx, input.agentId, fence);
      if (refusal) {
        await tx
          .insert(toolCalls)
          .values({ id: `${input.agentId}:${input.callId}`, agentId: input.agentId, step: input.step, callId: input.callId, tool: call.name, arguments: call.arguments, status: refusal === 'terminal' ? 'killed' : 'superseded', decidedBy: input.decision?.approver ?? null, result, durationMs: Math.round(performance.now() - started) })
          .onConflictDoNothing();
        return refusal;
      }
      const written = await writePage(tx, {
        agentId: input.agentId,
        step: input.step,
        purpose,
        kind: 'tool_result',
        role: 'tool',
        body: result,
        meta: { toolCallId: call.id, toolName: call.name, status, runId, ...(status === 'succeeded' && tool?.durableWait ? { sleepMs: waitMs(call.arguments) } : {}) },
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
        // A record left by a killed or superseded attempt gives way to the attempt that completed.
        .onConflictDoUpdate({
          target: toolCalls.id,
          set: { status, decidedBy: input.decision?.approver ?? null, result, resultPageId: written.id, durationMs: Math.round(performance.now() - started) },
          setWhere: inArray(toolCalls.status, ['killed', 'superseded']),
        });
      await tx.insert(agentEvents).values({ agentId: input.agentId, step: input.step, kind: 'tool.completed', data: { callId: call.id, tool: call.name, status } });
      return written;
    });
    if (typeof page === 'string') throw fencedOut(input.agentId, input.step, page);
    await deps.pubsub.notify(EVENTS_CHANNEL, input.agentId);
    return { ...toPageRef(page), ...(claim.rewound ? { rewound: claim.rewound } : {}), ...sleepOf(page.meta) };
  };
}
