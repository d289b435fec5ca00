import type { AgentStatus } from './state';

/** Events that move an agent between lifecycle states. */
export type LifecycleEvent = 'start' | 'step' | 'wait' | 'unblock' | 'pause' | 'resume' | 'suspend' | 'kill' | 'complete' | 'fail';

const TRANSITIONS: Record<AgentStatus, Partial<Record<LifecycleEvent, AgentStatus>>> = {
  ready: { start: 'running', kill: 'terminated', fail: 'failed' },
  running: { step: 'running', wait: 'waiting', pause: 'suspended', suspend: 'suspended', kill: 'terminated', complete: 'completed', fail: 'failed' },
  waiting: { unblock: 'running', pause: 'suspended', suspend: 'suspended', kill: 'terminated', fail: 'failed' },
  suspended: { resume: 'running', kill: 'terminated', fail: 'failed' },
  completed: {},
  failed: {},
  terminated: {},
};

/** The state after `event`, or null when the event is not allowed in `from`. */
export function transition(from: AgentStatus, event: LifecycleEvent): AgentStatus | null {
  return TRANSITIONS[from][event] ?? null;
}

/** The states an agent never leaves. */
export const TERMINAL_STATUSES = ['completed', 'failed', 'terminated'] as const satisfies readonly AgentStatus[];

/** True for states an agent never leaves (takes a stored status string too). */
export function isTerminal(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** The states of an agent that is still alive (its workflow should be running). */
export const LIVE_STATUSES = ['ready', 'running', 'waiting', 'suspended'] as const satisfies readonly AgentStatus[];
