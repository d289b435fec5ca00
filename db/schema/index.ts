/** The drizzle schema: five storage roles (state, memory, vector, coordination, audit). */
export * from './agents';
export * from './checkpoints';
export * from './context-pages';
export * from './memories';
export * from './nodes';
export * from './leases';
export * from './audit-log';
export * from './tool-calls';
export * from './usage-ledger';
export * from './model-calibration';
export * from './agent-events';
export * from './crews';
export * from './crew-nodes';
export * from './crew-items';
export * from './schedules';
export * from './api-keys';
export * from './relations';
