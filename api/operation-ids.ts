/**
 * Every operation's `operationId`, keyed `METHOD /path` as the OpenAPI document writes paths: the
 * names a generated client gives its methods. A route missing here fails the OpenAPI lint in CI
 * (test/openapi-docs.e2e.test.ts), so none can be added without one.
 */
export const OPERATION_IDS: Readonly<Record<string, string>> = {
  'GET /health': 'getHealth',
  'GET /openapi.json': 'getOpenApiDocument',
  'GET /metrics': 'getMetrics',

  'POST /agents': 'spawnAgent',
  'GET /agents': 'listAgents',
  'GET /agents/{id}': 'getAgent',
  'GET /agents/{id}/pages': 'listAgentPages',
  'GET /agents/{id}/tree': 'getAgentTree',
  'GET /agents/{id}/events': 'streamAgentEvents',
  'GET /agents/{id}/tool-calls': 'listAgentToolCalls',
  'GET /agents/{id}/metrics': 'getAgentMemoryMetrics',
  'GET /agents/{id}/memories': 'listAgentMemories',
  'POST /agents/{id}/memories': 'addAgentMemory',
  'POST /agents/{id}/pause': 'pauseAgent',
  'POST /agents/{id}/resume': 'resumeAgent',
  'POST /agents/{id}/kill': 'killAgent',
  'POST /agents/{id}/messages': 'sendAgentMessage',
  'PUT /agents/{id}/priority': 'setAgentPriority',
  'POST /agents/{id}/approvals': 'decideAgentToolCall',
  'POST /agents/{id}/budget': 'raiseAgentBudget',
  'POST /agents/{id}/fork': 'forkAgent',
  'POST /agents/{id}/migrate': 'migrateAgent',
  'POST /agents/{id}/rewind': 'rewindAgent',
  'GET /agents/{id}/checkpoints': 'listAgentCheckpoints',
  'GET /agents/{id}/checkpoints/{cid}': 'getAgentCheckpoint',
  'GET /agents/{id}/checkpoints/{cid}/diff/{other}': 'diffAgentCheckpoints',

  'GET /tenants/{tenant}/usage': 'getTenantUsage',
  'GET /tools': 'listTools',

  'POST /memories/{memoryId}/feedback': 'correctMemory',
  'GET /memories/{memoryId}/versions': 'listMemoryVersions',
  'POST /crews/{crew}/memories': 'addCrewMemory',

  'GET /nodes': 'listNodes',
  'POST /nodes/{id}/drain': 'drainNode',
  'POST /nodes/{id}/undrain': 'undrainNode',

  'POST /crews': 'createCrew',
  'GET /crews': 'listCrews',
  'GET /crews/{id}': 'getCrew',
  'GET /crews/{id}/events': 'streamCrewEvents',
  'POST /crews/{id}/cancel': 'cancelCrew',
  'POST /crews/{id}/fork': 'forkCrew',
  'POST /crews/{id}/gates/{node}': 'decideCrewGate',
  'POST /crews/{id}/nodes/{node}/approvals': 'decideCrewToolCall',
  'POST /crews/{id}/nodes/{node}/retry': 'retryCrewNode',

  'POST /batches': 'createBatch',
  'GET /batches': 'listBatches',
  'GET /batches/{id}': 'getBatch',
  'POST /batches/{id}/cancel': 'cancelBatch',

  'POST /mcp/servers': 'registerMcpServer',
  'GET /mcp/servers': 'listMcpServers',
  'GET /mcp/servers/{id}': 'getMcpServer',
  'PATCH /mcp/servers/{id}': 'updateMcpServer',
  'POST /mcp/servers/{id}/refresh': 'refreshMcpServer',
  'DELETE /mcp/servers/{id}': 'deleteMcpServer',
  'POST /schedules': 'createSchedule',
  'GET /schedules': 'listSchedules',
  'GET /schedules/{id}': 'getSchedule',
  'DELETE /schedules/{id}': 'deleteSchedule',
  'POST /schedules/{id}/pause': 'pauseSchedule',
  'POST /schedules/{id}/unpause': 'unpauseSchedule',
  'POST /schedules/{id}/trigger': 'triggerSchedule',

  'POST /keys': 'createKey',
  'GET /keys': 'listKeys',
  'POST /keys/{id}/rotate': 'rotateKey',
  'POST /keys/{id}/revoke': 'revokeKey',
  'GET /whoami': 'whoAmI',

  'GET /audit': 'listAuditEntries',
  'GET /audit/verify': 'verifyAuditChain',

  'POST /codec/decode': 'decodePayloads',
  'POST /codec/encode': 'encodePayloads',
  'POST /codec/session': 'openCodecSession',
  'DELETE /codec/session': 'closeCodecSession',
  'GET /codec': 'getCodecInfo',

  'GET /docs': 'getApiDocs',
  'GET /docs/assets/{file}': 'getApiDocsAsset',
  'GET /console': 'getConsole',
  'GET /console/assets/{file}': 'getConsoleAsset',
};
