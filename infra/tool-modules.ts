import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { ToolDefinition } from '../activities/tools/registry';
import { KernelError, rootMessage } from '../kernel/errors';

const toolShape = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'tool names are 1–64 letters, digits, "_" or "-"'),
  description: z.string().min(1).max(2_000),
  args: z.instanceof(z.ZodObject, { message: 'args must be a zod object schema' }),
  run: z.custom<ToolDefinition['run']>((v) => typeof v === 'function', { message: 'run must be a function' }),
  requiresApproval: z.boolean().optional(),
  timeoutMs: z.number().int().min(100).max(3_600_000).optional(),
});

/**
 * Loads tools from modules named in TOOL_MODULES (comma-separated paths, relative to the working
 * directory): each module exports `tools`, an array of `defineTool(...)` definitions. Every node and
 * the API must load the same modules. A module that is missing or exports something else stops
 * start-up with a sentence naming it.
 */
export async function loadToolModules(list: string | undefined): Promise<ToolDefinition[]> {
  const paths = (list ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  const loaded: ToolDefinition[] = [];
  for (const path of paths) {
    const file = isAbsolute(path) ? path : resolve(process.cwd(), path);
    let mod: { tools?: unknown };
    try {
      mod = (await import(file)) as { tools?: unknown };
    } catch (err) {
      throw new KernelError('invalid_config', `TOOL_MODULES: ${path} could not be loaded: ${rootMessage(err)}`, { cause: err });
    }
    if (!Array.isArray(mod.tools)) throw new KernelError('invalid_config', `TOOL_MODULES: ${path} exports no \`tools\` array`);
    mod.tools.forEach((tool: unknown, i) => {
      const parsed = toolShape.safeParse(tool);
      if (!parsed.success) throw new KernelError('invalid_config', `TOOL_MODULES: ${path} tools[${i}]: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
      loaded.push(tool as ToolDefinition);
    });
  }
  return loaded;
}
