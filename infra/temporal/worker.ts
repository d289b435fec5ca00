import { hostname } from 'node:os';
import { bundleWorkflowCode, DefaultLogger, type NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import { PROVIDERS } from '../../kernel/llm/task-queue';

/** The workflow bundle's entry point. */
export const WORKFLOWS_PATH = new URL('../../workflows/index.ts', import.meta.url).pathname;

/** Bundles the workflow code once (tests and benchmarks share one bundle across workers). */
export function bundleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
}

/** What a node's workers need. */
export interface KernelNodeOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Concurrent LLM calls per provider on this node (the bulkhead). */
  llmSlots: number;
  /** A prebuilt bundle; omitted → bundled from source at start. */
  workflowBundle?: WorkflowBundle;
  identity?: string;
  /** This node's own queue (work pinned or migrated to it); polled with the same workflows and activities. */
  nodeTaskQueue?: string;
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
}

/**
 * Creates a node's Temporal workers: agent workflows, tools and bookkeeping on the shared task
 * queue, and each provider's LLM calls on `<queue>.llm.<provider>` with a fixed number of slots —
 * the LLM is the CPU, and slots are its cores.
 */
export async function createKernelNode(options: KernelNodeOptions): Promise<KernelNode> {
  const { llmStep, ...kernelActivities } = createActivities(options);
  const identity = options.identity ?? `${process.pid}@${hostname()}`;
  const code = options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH };
  const main = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    identity,
    activities: { ...kernelActivities, ...options.extraActivities },
    ...code,
  });
  const llm = await Promise.all(
    PROVIDERS.map((provider) =>
      Worker.create({
        connection: options.connection,
        namespace: options.namespace,
        taskQueue: `${options.taskQueue}.llm.${provider}`,
        identity,
        activities: { llmStep },
        maxConcurrentActivityTaskExecutions: options.llmSlots,
      }),
    ),
  );
  const own = options.nodeTaskQueue
    ? [await Worker.create({ connection: options.connection, namespace: options.namespace, taskQueue: options.nodeTaskQueue, identity, activities: { ...kernelActivities, llmStep }, ...code })]
    : [];
  const workers = [main, ...llm, ...own];
  return {
    workers,
    run: async () => {
      await Promise.all(workers.map((w) => w.run()));
    },
    shutdown: () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
}
