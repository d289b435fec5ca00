import type { Context } from 'hono';
import { reconcileQuietly } from '../../control/reconcile';
import { agentRow } from '../../control/views';
import type { ApiDeps } from '../deps';
import { streamEvents } from '../event-stream';

/**
 * `GET /agents/:id/events`: the agent's Server-Sent Events until `agent.finished`. An agent whose run
 * was closed outside the kernel is reconciled once the stream is open, so its stream ends too.
 */
export async function streamAgentEvents(deps: ApiDeps, c: Context, id: string): Promise<Response> {
  const row = await agentRow(deps, id);
  return streamEvents(deps, c, { id, terminalKind: 'agent.finished', onOpen: () => reconcileQuietly(deps, row) });
}
