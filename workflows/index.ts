/** Every workflow a node runs; this file is the entry point of the workflow bundle. */
export { agentWorkflow } from './agent';
export * from './agent-api';
export { crewWorkflow } from './crew';
export { crewForeachWorkflow } from './crew-foreach';
export * from './crew-api';
export { scheduledRunWorkflow } from './scheduled-run';
export { memorySweepWorkflow } from './memory-sweep';
export { retentionWorkflow } from './retention';
export { webhookRedeliveryWorkflow, webhookWorkflow } from './webhook-delivery';
