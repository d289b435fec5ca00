import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from 'bun:test';
import { openDatabase, type Database } from '../../db/client';
import { getAgentRecord } from '../../db/agents';
import { agents, crews } from '../../db/schema';
import { depthOf } from './delegation';
import { MAX_DELEGATION_DEPTH, MAX_SUB_AGENTS, spawnAgentTool } from './spawn-agent';
import { builtinTools } from './builtin';

// Opening a database runs every migration: bun's 5 s default is too short for the hooks.
setDefaultTimeout(120_000);

describe('spawn_agent limits', () => {
  let database: Database;
  const row = (id: string, parentId: string | null, tools: string[] = ['spawn_agent']) => ({ id, name: id, role: 'r', goal: 'g', model: 'scripted', maxSteps: 3, workflowId: id, parentId, definition: { tools } });
  beforeAll(async () => {
    database = await openDatabase({ pgliteDir: 'memory://' });
    // A chain root ← d1 ← d2 ← d3 (d3 is three levels down), and a parent that already has its sub-agents.
    await database.db.insert(agents).values([row('root', null), row('d1', 'root'), row('d2', 'd1'), row('d3', 'd2'), row('busy', null), ...Array.from({ length: MAX_SUB_AGENTS }, (_, i) => row(`kid${i}`, 'busy'))]);
    // d2 started a sub-crew: its member stands three levels down too. `lead` has sub-agents and sub-crews that together reach the width.
    await database.db.insert(agents).values([row('lead', null), ...Array.from({ length: MAX_SUB_AGENTS - 1 }, (_, i) => row(`sub${i}`, 'lead'))]);
    await database.db.insert(crews).values([
      { id: 'crew.deep', name: 'deep', tenant: 'default', spec: {}, parentAgentId: 'd2' },
      { id: 'crew.wide', name: 'wide', tenant: 'default', spec: {}, parentAgentId: 'lead' },
    ]);
    await database.db.insert(agents).values({ ...row('member', null), crewId: 'crew.deep' });
  });
  afterAll(() => database.close());

  // No Temporal: every refusal here happens before the kernel is asked to do anything.
  const kernel = { client: {} as never, pubsub: {} as never, taskQueue: 'q', defaultModel: 'scripted', agingIntervalMs: 1_000, tools: builtinTools() };
  const call = (agentId: string, tools: string[] = []) =>
    spawnAgentTool.run({ name: 'sub', role: 'r', goal: 'g', input: 'i', tools }, { agentId, step: 1, callId: `c-${agentId}`, idempotencyKey: `${agentId}:c`, db: database.db, signal: new AbortController().signal, kernel });

  test(`delegation goes ${MAX_DELEGATION_DEPTH} levels deep at most`, async () => {
    expect(await call('d3')).toBe(`refused: delegation may go ${MAX_DELEGATION_DEPTH} levels deep at most`);
  });
  test(`an agent starts ${MAX_SUB_AGENTS} sub-agents at most`, async () => {
    expect(await call('busy')).toBe(`refused: an agent may start ${MAX_SUB_AGENTS} sub-agents and sub-crews at most`);
  });
  test('a sub-crew’s member counts the agent that started the crew as its parent', async () => {
    expect(await depthOf(database.db, (await getAgentRecord(database.db, 'member'))!)).toBe(3);
    expect(await call('member')).toBe(`refused: delegation may go ${MAX_DELEGATION_DEPTH} levels deep at most`);
  });
  test('sub-crews count toward the width with sub-agents', async () => {
    expect(await call('lead')).toBe(`refused: an agent may start ${MAX_SUB_AGENTS} sub-agents and sub-crews at most`);
  });
  test('a sub-agent gets no tool its caller lacks', async () => {
    expect(await call('root', ['publish'])).toBe('refused: a sub-agent may only use your own tools (not publish)');
  });
});
