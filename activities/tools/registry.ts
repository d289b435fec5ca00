import { z } from 'zod';
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/client';
import type { PubSub } from '../../db/notify';
import type { ToolSchema } from '../../kernel/llm/types';
import type { ToolPolicy } from '../../kernel/tools/policy';
import type { KernelLimits } from '../../kernel/limits';

/** What a running tool may use: who called, its idempotency key, and the database. */
export interface ToolContext {
  agentId: string;
  /** The step whose reply asked for the call. */
  step: number;
  callId: string;
  /** Stable across retries of the same call: side effects keyed by it happen once. */
  idempotencyKey: string;
  db: Db;
  signal: AbortSignal;
  /** The kernel's own operations, for tools that act on agents (spawn_agent): Temporal and the spawn defaults. */
  kernel?: ToolKernel;
  /** The GPUs (or MIG instances) the agent's lease holds, by UUID: what a process it starts gets as `CUDA_VISIBLE_DEVICES` (read only when a tool asks). */
  devices?: () => Promise<string[]>;
}

/** What a tool that spawns agents needs from its node. */
export interface ToolKernel {
  client: Client;
  pubsub: PubSub;
  taskQueue: string;
  defaultModel: string;
  agingIntervalMs: number;
  tools: ToolRegistry;
  /** Live caps (a tenant's live agents); unset: none. */
  limits?: KernelLimits;
}

/** A typed tool: zod arguments, a description for the model, and the code that runs it. */
export interface ToolDefinition<A extends z.ZodObject = z.ZodObject> {
  name: string;
  description: string;
  args: A;
  requiresApproval?: boolean;
  timeoutMs?: number;
  /** The workflow waits on a durable timer after this tool (its arguments say how long): the `wait` tool. */
  durableWait?: boolean;
  run(args: z.infer<A>, ctx: ToolContext): Promise<string>;
}

/** Declares a tool with its argument types inferred from the zod schema. */
export function defineTool<A extends z.ZodObject>(tool: ToolDefinition<A>): ToolDefinition<A> {
  return tool;
}

/** The tools a node can run, by name. */
export class ToolRegistry {
  private readonly tools = new Map<string, ToolDefinition>();
  /** JSON schemas of what the model writes (the input side: defaults optional), generated once per tool (every model call shows them). */
  private readonly jsonSchemas = new Map<string, ToolSchema>();

  constructor(tools: ReadonlyArray<ToolDefinition<z.ZodObject>>) {
    for (const t of tools) this.register(t);
  }

  /** Adds a tool (dynamic loading); a duplicate name is an error. */
  register(tool: ToolDefinition<z.ZodObject>): void {
    if (this.tools.has(tool.name)) throw new Error(`tool ${tool.name} is registered twice`);
    this.tools.set(tool.name, tool as ToolDefinition);
    this.jsonSchemas.set(tool.name, { name: tool.name, description: tool.description, parameters: z.toJSONSchema(tool.args, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown> });
  }

  get(name: string): ToolDefinition | undefined {
    return this.tools.get(name);
  }

  names(): string[] {
    return [...this.tools.keys()].sort();
  }

  /** JSON schemas of the allowed tools, as shown to the model. */
  schemas(allowed: readonly string[]): ToolSchema[] {
    return allowed.flatMap((name) => {
      const schema = this.jsonSchemas.get(name);
      return schema ? [schema] : [];
    });
  }

  /** The policies of the allowed tools, for the workflow. */
  policies(allowed: readonly string[]): ToolPolicy[] {
    return allowed.flatMap((name) => {
      const t = this.tools.get(name);
      return t ? [{ name: t.name, requiresApproval: t.requiresApproval ?? false, timeoutMs: t.timeoutMs ?? 30_000 }] : [];
    });
  }
}
