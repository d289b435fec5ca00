import { describe, expect, test } from 'bun:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createLogger, logCorrelation } from './logger';

describe('log lines joined to their agent', () => {
  test('inside an agent’s activity a line carries the agent id; inside a crew’s, the workflow id; elsewhere neither', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', 'aok', { write: (l: string) => lines.push(l) });
    const agent = new MockActivityEnvironment({ workflowType: 'agentWorkflow', workflowExecution: { workflowId: 'agent-42', runId: 'r1' } });
    await agent.run(async () => logger.info('from an agent step'));
    const crew = new MockActivityEnvironment({ workflowType: 'crewWorkflow', workflowExecution: { workflowId: 'crew.7', runId: 'r2' } });
    await crew.run(async () => logger.info('from a crew activity'));
    logger.info('from the API');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({ msg: 'from an agent step', agentId: 'agent-42' });
    expect(parsed[1]).toMatchObject({ msg: 'from a crew activity', workflowId: 'crew.7' });
    expect(parsed[1]!.agentId).toBeUndefined();
    expect(parsed[2]!.agentId).toBeUndefined();
    expect(parsed[2]!.workflowId).toBeUndefined();
    // No span is active here, so no trace ids (the tracing e2e test checks them on a real request).
    expect(logCorrelation().trace_id).toBeUndefined();
  });
});
