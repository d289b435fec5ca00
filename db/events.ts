import type { Db } from './client';
import type { PubSub } from './notify';
import { agentEvents } from './schema';

/** The NOTIFY channel for agent events; payload `<agentId>`. */
export const EVENTS_CHANNEL = 'aok_agent_events';

/** One event to emit. */
export interface AgentEvent {
  agentId: string;
  step: number;
  kind: string;
  data?: Record<string, unknown>;
}

/** Stores an event and notifies listeners (the API's SSE streams); returns its sequence number. */
export async function emitEvent(db: Db, pubsub: PubSub, event: AgentEvent): Promise<number> {
  const [row] = await db.insert(agentEvents).values({ agentId: event.agentId, step: event.step, kind: event.kind, data: event.data ?? {} }).returning({ seq: agentEvents.seq });
  await pubsub.notify(EVENTS_CHANNEL, event.agentId);
  return row!.seq;
}
