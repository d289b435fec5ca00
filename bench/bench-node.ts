import { bundleWorkflowCode, DefaultLogger, NativeConnection } from '@temporalio/worker';
import { createProviderRegistry } from '../activities/llm/registry';
import type { Stack } from '../infra/stack';
import { createKernelNode, type KernelNode } from '../infra/temporal/worker';
import { FAILURE_CONVERTER_PATH } from '../infra/temporal/codec';
import type { Config } from '../kernel/config';

/**
 * One kernel node for a benchmark: the kernel's workflows plus the bare baselines of
 * `bench/workflows.ts` on the same worker, so kernel and baseline share a dev server and a poller.
 */
export async function startBenchNode(stack: Stack, config: Config): Promise<{ node: KernelNode; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: stack.temporal.address });
  const node = await createKernelNode({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TASK_QUEUE,
    llmSlots: config.LLM_SLOTS,
    workflowCacheSize: config.WORKFLOW_CACHE_SIZE,
    db: stack.db.db,
    pubsub: stack.db.pubsub,
    providerFor: createProviderRegistry(config),
    workflowBundle: await bundleWorkflowCode({ workflowsPath: new URL('./workflows.ts', import.meta.url).pathname, failureConverterPath: FAILURE_CONVERTER_PATH, logger: new DefaultLogger('WARN') }),
    // Kernel and baseline share the stack's data converter (encrypted payloads): the same cost on both sides.
    dataConverter: stack.dataConverter,
    extraActivities: { noop: async (step: number) => step },
  });
  return { node, connection };
}
