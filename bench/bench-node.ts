import { bundleWorkflowCode, DefaultLogger, NativeConnection } from '@temporalio/worker';
import { createProviderRegistry } from '../activities/llm/registry';
import type { Stack } from '../infra/stack';
import { createKernelNode, type KernelNode } from '../infra/temporal/worker';
import { FAILURE_CONVERTER_PATH } from '../infra/temporal/codec';
import type { Config } from '../kernel/config';
import type { WorkflowHandle } from '@temporalio/client';
import { createAgentRecord } from '../db/agents';
import { toPageRef } from '../db/pages';
import { agentRunInput } from '../kernel/agent/run-input';
import { spawnAgentSchema } from '../kernel/agent/spawn';

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

/**
 * A scripted agent of `steps` steps, started on the client as the bare baselines are (no HTTP): its
 * record is written here, and `start()` starts its workflow — so a timer can start after the record.
 */
export async function scriptedAgent(stack: Stack, taskQueue: string, id: string, steps: number, text = 'benchmark input'): Promise<{ start(): Promise<WorkflowHandle> }> {
  const spec = spawnAgentSchema.parse({ name: 'bench', role: 'r', goal: 'g', input: text, constraints: { maxSteps: steps } });
  const { input } = await createAgentRecord(stack.db.db, id, { ...spec, model: `scripted:${steps}` });
  return { start: () => stack.client.workflow.start('agentWorkflow', { workflowId: id, taskQueue, args: [agentRunInput({ agentId: id, model: `scripted:${steps}`, maxSteps: steps, taskQueue, pages: [toPageRef(input)] })] }) };
}
