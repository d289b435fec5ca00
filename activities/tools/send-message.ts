import { and, desc, eq, notInArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { appendAudit } from '../../db/audit';
import { enteringStep, getAgentRecord, type AgentRow } from '../../db/agents';
import type { Db } from '../../db/client';
import { emitEvent } from '../../db/events';
import { toPageRef, writePage } from '../../db/pages';
import { agents, contextPages } from '../../db/schema';
import { isTerminal, TERMINAL_STATUSES } from '../../kernel/agent/lifecycle';
import { rootMessage } from '../../kernel/errors';
import { messageSignal } from '../../workflows/agent-api';
import { defineTool } from './registry';

/**
 * The agent a message is for, in the sender's tenant only: by id, or by name — the newest running
 * agent of that name in the sender's crew, else in its tenant.
 */
async function recipient(db: Db, sender: AgentRow, to: string): Promise<AgentRow | undefined> {
  const byId = await getAgentRecord(db, to);
  if (byId) return byId.tenant === sender.tenant ? byId : undefined;
  const running = and(eq(agents.tenant, sender.tenant), eq(agents.name, to), notInArray(agents.status, [...TERMINAL_STATUSES]));
  const [inCrew] = sender.crewId ? await db.select().from(agents).where(and(running, eq(agents.crewId, sender.crewId))).orderBy(desc(agents.createdAt)).limit(1) : [];
  if (inCrew) return inCrew;
  const [inTenant] = await db.select().from(agents).where(running).orderBy(desc(agents.createdAt)).limit(1);
  return inTenant;
}

/**
 * `send_message`: an agent messages another agent of its tenant. The message is stored as a page of
 * the recipient and signalled into its next step (durable: the page is there before the signal,
 * and a retried call delivers once); both agents' events show it, and it is audited. Another
 * tenant's agents cannot be named.
 */
export const sendMessageTool = defineTool({
  name: 'send_message',
  description: 'Send a message to another running agent of your organisation, by its id or its name (an agent of your crew first). It arrives at the start of its next step.',
  args: z.object({ to: z.string().trim().min(1).max(200), text: z.string().min(1).max(20_000) }),
  run: async ({ to, text }, ctx) => {
    const kernel = ctx.kernel;
    if (!kernel) return 'error: send_message is not available on this node';
    const sender = await getAgentRecord(ctx.db, ctx.agentId);
    if (!sender) return 'error: the calling agent is not in the database';
    const target = await recipient(ctx.db, sender, to);
    if (!target) return `error: there is no agent "${to}" you can message (only your organisation's agents, by id or by the name of a running one)`;
    if (target.id === sender.id) return 'error: an agent cannot message itself';
    if (isTerminal(target.status)) return `error: agent ${target.name} (${target.id}) has finished (${target.status}); it reads no more messages`;
    const purpose = `message:agent:${ctx.idempotencyKey}`;
    const [stored] = await ctx.db.select().from(contextPages).where(and(eq(contextPages.agentId, target.id), eq(contextPages.purpose, purpose))).limit(1);
    const page = stored ?? (await writePage(ctx.db, { agentId: target.id, step: enteringStep(target), purpose, kind: 'message', role: 'user', body: `[message from agent ${sender.name} (${sender.id})]\n${text}`, importance: 0.8, meta: { from: sender.id, fromName: sender.name } }));
    if ((page.meta as { signalled?: boolean }).signalled !== true) {
      try {
        await kernel.client.workflow.getHandle(target.workflowId).signal(messageSignal, toPageRef(page));
      } catch (err) {
        return `error: the message could not be delivered to ${target.name} (${target.id}): ${rootMessage(err)}`;
      }
      await ctx.db.update(contextPages).set({ meta: sql`${contextPages.meta} || '{"signalled":true}'::jsonb` }).where(eq(contextPages.id, page.id));
      await emitEvent(ctx.db, kernel.pubsub, { agentId: sender.id, step: ctx.step, kind: 'message.sent', data: { to: target.id, pageId: page.id } });
      await emitEvent(ctx.db, kernel.pubsub, { agentId: target.id, step: page.step, kind: 'message.received', data: { from: sender.id, pageId: page.id } });
      await appendAudit(ctx.db, { actor: `agent:${sender.id}`, action: 'agent.message', subject: target.id, data: { from: sender.id, pageId: page.id, chars: text.length }, idempotencyKey: `agent.message:${ctx.idempotencyKey}` });
    }
    return `delivered to ${target.name} (${target.id}); it reads it at its next step`;
  },
});
