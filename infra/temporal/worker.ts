import { hostname } from 'node:os';
import { bundleWorkflowCode, DefaultLogger, type NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';

/** The workflow bundle's entry point. */
export const WORKFLOWS_PATH = new URL('../../workflows/index.ts', import.meta.url).pathname;

/** Bundles the workflow code once (tests and benchmarks share one bundle across workers). */
export function bundleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
}

/** What a node's worker needs. */
export interface KernelWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle; omitted → bundled from source at start. */
  workflowBundle?: WorkflowBundle;
  identity?: string;
}

/** Creates a node's Temporal worker: the agent workflows plus every kernel activity. */
export function createKernelWorker(options: KernelWorkerOptions): Promise<Worker> {
  const code = options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    identity: options.identity ?? `${process.pid}@${hostname()}`,
    activities: createActivities(options),
    ...code,
  });
}
