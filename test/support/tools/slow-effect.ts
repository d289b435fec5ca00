/**
 * A tool module for tests (loaded through TOOL_MODULES): `slow_effect` records its side effect first,
 * keyed by the call's idempotency key, then takes its time — so a node killed while it runs leaves an
 * effect behind, and the retry on another node must not repeat it.
 */
import { z } from 'zod';
import { memories } from '../../../db/schema';
import { defineTool } from '../../../activities/tools/registry';

/** The tools this module adds. */
export const tools = [
  defineTool({
    name: 'slow_effect',
    description: 'Records an effect under a key, then works for a while.',
    args: z.object({ key: z.string().min(1).max(100), ms: z.number().int().min(0).max(60_000) }),
    timeoutMs: 4_000,
    run: async ({ key, ms }, ctx) => {
      await ctx.db.insert(memories).values({ id: ctx.idempotencyKey, agentId: ctx.agentId, scope: 'effect', key, content: `effect of ${ctx.callId}` }).onConflictDoNothing();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new Error('cancelled'));
        }, { once: true });
      });
      return `did ${key}`;
    },
  }),
];
