import { and, asc, eq, gt } from 'drizzle-orm';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { getAgentRecord } from '../../db/agents';
import { EVENTS_CHANNEL } from '../../db/events';
import { agentEvents } from '../../db/schema';
import { KernelError } from '../../kernel/errors';
import type { ApiDeps } from '../deps';

const TERMINAL_EVENT = 'agent.finished';

/**
 * `GET /agents/:id/events`: Server-Sent Events of an agent — the backlog after `Last-Event-ID`
 * (or `?after=`), then live events as Postgres NOTIFYs them, until the agent finishes or the
 * client leaves. Tokens stream here without ever entering workflow history.
 */
export async function streamAgentEvents(deps: ApiDeps, c: Context, id: string): Promise<Response> {
  const row = await getAgentRecord(deps.db, id);
  if (!row) throw new KernelError('not_found', `no agent with id "${id}"`);
  let cursor = Number(c.req.header('last-event-id') ?? c.req.query('after') ?? 0) || 0;

  return streamSSE(c, async (stream) => {
    let wake: (() => void) | undefined;
    const unlisten = await deps.pubsub.listen(EVENTS_CHANNEL, (agentId) => {
      if (agentId === id) wake?.();
    });
    stream.onAbort(() => wake?.());
    try {
      let finished = false;
      while (!finished && !stream.aborted) {
        const pending = new Promise<void>((resolve) => {
          wake = resolve;
        });
        const rows = await deps.db.select().from(agentEvents).where(and(eq(agentEvents.agentId, id), gt(agentEvents.seq, cursor))).orderBy(asc(agentEvents.seq)).limit(500);
        for (const e of rows) {
          await stream.writeSSE({ id: String(e.seq), event: e.kind, data: JSON.stringify({ step: e.step, ...(e.data as object), at: e.createdAt.toISOString() }) });
          cursor = e.seq;
          if (e.kind === TERMINAL_EVENT) finished = true;
        }
        if (!finished && rows.length < 500) await Promise.race([pending, stream.sleep(15_000)]);
      }
    } finally {
      await unlisten();
    }
  });
}
