import { hostname, totalmem } from 'node:os';
import { bundleWorkflowCode, DefaultLogger, type NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import type { Tracing } from '../telemetry/tracing';
import { activityMetrics } from '../telemetry/activity-metrics';
import { createActivities, type ActivityDeps } from '../../activities';
import { FAILURE_CONVERTER_PATH } from './codec';
import { PROVIDERS } from '../../kernel/llm/task-queue';

/**
 * How often an activity's heartbeats reach the server at most. The SDK's default (80% of the
 * heartbeat timeout, 12 s for a step) let a step run on for seconds after its agent was killed: a
 * cancellation is only delivered in the answer to a heartbeat. One second bounds that.
 */
export const HEARTBEAT_THROTTLE = '1 second';

/** What one cached agent workflow holds in a Bun worker (bench/results/memory.json: ~1.3 MiB). */
const CACHED_WORKFLOW_BYTES = 1.4 * 2 ** 20;

/** Workflows a node caches when nothing says otherwise: a quarter of the machine's memory, 100 to 2,000. */
export function defaultWorkflowCacheSize(memoryBytes = totalmem()): number {
  return Math.min(2_000, Math.max(100, Math.floor(memoryBytes / 4 / CACHED_WORKFLOW_BYTES)));
}

/** The workflow bundle's entry point. */
export const WORKFLOWS_PATH = new URL('../../workflows/index.ts', import.meta.url).pathname;

/** The OpenTelemetry workflow interceptors (spans for the run, its activities, children and signals). */
export const TRACING_INTERCEPTORS_PATH = new URL('../../workflows/tracing-interceptors.ts', import.meta.url).pathname;

/**
 * Bundles the workflow code once (tests and benchmarks share one bundle across workers). A traced
 * bundle carries the OpenTelemetry workflow interceptors; they add no commands, so histories replay
 * the same with or without them (test/replay.test.ts).
 */
export function bundleWorkflows(options: { traced?: boolean } = {}): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: new DefaultLogger('WARN'),
    ...(options.traced ? { workflowInterceptorModules: [TRACING_INTERCEPTORS_PATH] } : {}),
  });
}

/** What a node's workers need. */
export interface KernelNodeOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Concurrent LLM calls per provider on this node (the bulkhead). */
  llmSlots: number;
  /** Workflows kept in the sticky cache (the SDK's default misreads Bun's heap; see WORKFLOW_CACHE_SIZE). */
  workflowCacheSize?: number;
  /** A prebuilt bundle; omitted → bundled from source at start. */
  workflowBundle?: WorkflowBundle;
  identity?: string;
  /** This node's own queue (work pinned or migrated to it); polled with the same workflows and activities. */
  nodeTaskQueue?: string;
  /** The kernel's data converter (encrypted payloads, encoded failures); default: the SDK's. */
  dataConverter?: DataConverter;
  /** This process's tracing: workers get its interceptors, the bundle its workflow interceptors. */
  tracing?: Tracing;
  /** More activities for the shared queue (benchmarks register a no-op baseline). */
  extraActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
}

/** A node: the kernel worker plus one LLM worker per provider task queue. */
export interface KernelNode {
  workers: Worker[];
  /** Runs every worker until all have stopped. */
  run(): Promise<void>;
  /** Asks every worker to drain and stop. */
  shutdown(): void;
  /** Stops polling the shared queues (a draining node): only work pinned to this node runs here. */
  cordon(): void;
  /** Polls the shared queues again after `cordon()` (fresh workers on the same bundle). */
  uncordon(): Promise<void>;
  /** Polls another queue too (a dead node's, adopted until its agents have moved); returns how to stop. */
  pollQueue(taskQueue: string): Promise<() => Promise<void>>;
}

/**
 * Creates a node's Temporal workers: agent workflows, tools and bookkeeping on the shared task
 * queue, and each provider's LLM calls on `<queue>.llm.<provider>` with a fixed number of slots —
 * the LLM is the CPU, and slots are its cores.
 */
export async function createKernelNode(options: KernelNodeOptions): Promise<KernelNode> {
  const { llmStep, ...kernelActivities } = createActivities(options);
  const identity = options.identity ?? `${process.pid}@${hostname()}`;
  // Bundled once per node: every worker it ever creates (shared, own, adopted, uncordoned) reuses it,
  // so adopting a dead node's queue never blocks the event loop on a second bundle.
  // A prebuilt bundle is used as given (the caller bundles it traced when tracing is on).
  const code = { workflowBundle: options.workflowBundle ?? (await bundleWorkflows({ traced: options.tracing !== undefined })) };
  const dataConverter = options.dataConverter;
  const plugins = options.tracing ? [options.tracing.plugin] : [];
  const interceptors = { activity: [activityMetrics] };
  const sharedWorkers = async () => {
    const main = await Worker.create({
      connection: options.connection,
      namespace: options.namespace,
      taskQueue: options.taskQueue,
      identity,
      dataConverter,
      plugins,
      interceptors,
      activities: { ...kernelActivities, ...options.extraActivities },
      maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
      maxCachedWorkflows: options.workflowCacheSize ?? defaultWorkflowCacheSize(),
      ...code,
    });
    const llm = await Promise.all(
      PROVIDERS.map((provider) =>
        Worker.create({
          connection: options.connection,
          namespace: options.namespace,
          taskQueue: `${options.taskQueue}.llm.${provider}`,
          identity,
          dataConverter,
          plugins,
          interceptors,
          activities: { llmStep },
          maxConcurrentActivityTaskExecutions: options.llmSlots,
          maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
        }),
      ),
    );
    return [main, ...llm];
  };
  /** A worker for a node queue: workflows and every activity, LLM calls included, on one queue. */
  const nodeWorker = (taskQueue: string) =>
    Worker.create({
      connection: options.connection,
      namespace: options.namespace,
      taskQueue,
      identity,
      dataConverter,
      plugins,
      interceptors,
      activities: { ...kernelActivities, llmStep },
      maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
      maxCachedWorkflows: options.workflowCacheSize ?? defaultWorkflowCacheSize(),
      // A pinned agent's cached workflow lives on this node; if the node dies, its next workflow
      // task returns to the node queue (where an adopter polls) after this long, not the default 10 s.
      stickyQueueScheduleToStartTimeout: '3 seconds',
      ...code,
    });
  let shared = await sharedWorkers();
  const own = options.nodeTaskQueue ? [await nodeWorker(options.nodeTaskQueue)] : [];
  const workers = [...shared, ...own];
  const running: Array<Promise<void>> = [];
  let started = false;
  const stopAll = (list: Worker[]) => {
    for (const w of list) if (w.getState() === 'RUNNING') w.shutdown();
  };
  /** Adds workers to a running node; `run()` waits for them too. */
  const launch = (list: Worker[]) => {
    workers.push(...list);
    if (!started) return [];
    const done = list.map((w) => w.run());
    running.push(...done);
    return done;
  };
  let stopping = false;
  return {
    workers,
    run: async () => {
      started = true;
      running.push(...workers.map((w) => w.run()));
      // Workers added later (adopted queues, uncordoned shared queues) are awaited as well.
      for (let seen = 0; seen < running.length; ) {
        seen = running.length;
        await Promise.all(running);
      }
    },
    shutdown: () => {
      stopping = true;
      stopAll(workers);
    },
    cordon: () => stopAll(shared),
    uncordon: async () => {
      if (!started || stopping || shared.some((w) => w.getState() === 'RUNNING')) return;
      const fresh = await sharedWorkers();
      if (stopping) return;
      shared = fresh;
      launch(shared);
    },
    pollQueue: async (taskQueue) => {
      const extra = await nodeWorker(taskQueue);
      const [done] = launch([extra]);
      return async () => {
        stopAll([extra]);
        await done;
      };
    },
  };
}
