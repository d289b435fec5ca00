import { z } from 'zod';
import { evaluateArithmetic } from '../../kernel/tools/arithmetic';
import { memories } from '../../db/schema';
import { recall } from './recall';
import { sendMessageTool } from './send-message';
import { runCodeTool } from './run-code';
import { spawnAgentTool } from './spawn-agent';
import { spawnCrewTool } from './spawn-crew';
import { defineTool, ToolRegistry } from './registry';
import { writePage } from '../../db/pages';

const calculator = defineTool({
  name: 'calculator',
  description: 'Evaluates an arithmetic expression (+ - * / % ^ and parentheses) and returns the number.',
  args: z.object({ expression: z.string().min(1).max(500) }),
  run: async ({ expression }) => String(evaluateArithmetic(expression)),
});

const saveMemory = defineTool({
  name: 'save_memory',
  description: 'Saves a fact to long-term memory under a key. Saving the same call twice stores it once.',
  args: z.object({ key: z.string().min(1).max(200), content: z.string().min(1).max(20_000) }),
  run: async ({ key, content }, ctx) => {
    const inserted = await ctx.db
      .insert(memories)
      .values({ id: ctx.idempotencyKey, agentId: ctx.agentId, scope: 'long', key, content })
      .onConflictDoNothing()
      .returning({ id: memories.id });
    // Every memory is also a page, so assembly and recall find it like any other context.
    await writePage(ctx.db, { agentId: ctx.agentId, step: ctx.step, purpose: `memory:${ctx.idempotencyKey}`, kind: 'memory', role: 'user', body: `Memory "${key}": ${content}`, importance: 0.9, meta: { memoryId: ctx.idempotencyKey } });
    return inserted.length > 0 ? `saved memory "${key}"` : `memory "${key}" was already saved by this call`;
  },
});

const publish = defineTool({
  name: 'publish',
  description: 'Publishes a message to a channel where people will read it. A human must approve each call.',
  args: z.object({ channel: z.string().min(1).max(100), text: z.string().min(1).max(10_000) }),
  requiresApproval: true,
  run: async ({ channel, text }, ctx) => {
    await ctx.db
      .insert(memories)
      .values({ id: ctx.idempotencyKey, agentId: ctx.agentId, scope: 'published', key: channel, content: text })
      .onConflictDoNothing();
    return `published to ${channel}`;
  },
});

const currentTime = defineTool({
  name: 'current_time',
  description: 'Returns the current UTC time in ISO 8601.',
  args: z.object({}),
  run: async () => new Date().toISOString(),
});

const wait = defineTool({
  name: 'wait',
  description: 'Waits for a number of seconds, or until a time (ISO 8601), then carries on. A durable timer: the wait survives restarts and holds no worker, for minutes or months.',
  args: z
    .object({ seconds: z.number().min(1).max(366 * 24 * 3600).optional(), until: z.iso.datetime({ offset: true }).optional() })
    .refine((a) => (a.seconds === undefined) !== (a.until === undefined), { message: 'give seconds or until' }),
  durableWait: true,
  run: async ({ seconds, until }) => `waited ${seconds !== undefined ? `${seconds} s` : `until ${until}`}`,
});

/** The tools every node ships with. */
export function builtinTools(): ToolRegistry {
  return new ToolRegistry([calculator, saveMemory, publish, currentTime, recall, spawnAgentTool, spawnCrewTool, wait, runCodeTool, sendMessageTool]);
}
