import type { temporal } from '@temporalio/proto';
import type Long from 'long';

/** Where one workflow's wall time went, read from its history's event times (ms). */
export interface HistoryBreakdown {
  events: number;
  /** Activity scheduled → started: the server and matching (dispatch). */
  activityQueueMs: number;
  /** Activity started → completed: the activity's own code on the worker (with its I/O). */
  activityRunMs: number;
  /** Workflow task scheduled → started. */
  workflowTaskQueueMs: number;
  /** Workflow task started → completed: the workflow code on the worker. */
  workflowTaskRunMs: number;
  activities: number;
  workflowTasks: number;
}

type Event = temporal.api.history.v1.IHistoryEvent;
const Type = { WFT_SCHEDULED: 5, WFT_STARTED: 6, WFT_COMPLETED: 7, ACT_SCHEDULED: 10, ACT_STARTED: 11, ACT_COMPLETED: 12 } as const;

function ms(e: Event): number {
  const t = e.eventTime;
  if (!t) return 0;
  return Number(t.seconds as Long | number) * 1000 + (t.nanos ?? 0) / 1e6;
}

/** Sums the queue and run time of every activity and workflow task in a history. */
export function breakdown(history: temporal.api.history.v1.IHistory): HistoryBreakdown {
  const events = history.events ?? [];
  const at = new Map<number, Event>();
  for (const e of events) at.set(Number(e.eventId), e);
  const out: HistoryBreakdown = { events: events.length, activityQueueMs: 0, activityRunMs: 0, workflowTaskQueueMs: 0, workflowTaskRunMs: 0, activities: 0, workflowTasks: 0 };
  for (const e of events) {
    const type = Number(e.eventType);
    if (type === Type.ACT_STARTED) {
      const scheduled = at.get(Number(e.activityTaskStartedEventAttributes?.scheduledEventId));
      if (scheduled) out.activityQueueMs += ms(e) - ms(scheduled);
    } else if (type === Type.ACT_COMPLETED) {
      const started = at.get(Number(e.activityTaskCompletedEventAttributes?.startedEventId));
      if (started) out.activityRunMs += ms(e) - ms(started);
      out.activities++;
    } else if (type === Type.WFT_STARTED) {
      const scheduled = at.get(Number(e.workflowTaskStartedEventAttributes?.scheduledEventId));
      if (scheduled) out.workflowTaskQueueMs += ms(e) - ms(scheduled);
    } else if (type === Type.WFT_COMPLETED) {
      const started = at.get(Number(e.workflowTaskCompletedEventAttributes?.startedEventId));
      if (started) out.workflowTaskRunMs += ms(e) - ms(started);
      out.workflowTasks++;
    }
  }
  return out;
}
