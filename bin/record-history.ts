/**
 * `bun run record-history`: runs representative agents on a throwaway stack and writes their
 * histories to test/histories/*.json, which test/replay.test.ts replays against today's code.
 * Re-record only when a workflow change is meant to be incompatible (and version it).
 */
import { writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { createLogger } from '../infra/logger';
import { main } from '../infra/main';
import { startStack } from '../infra/stack';
import { loadConfig } from '../kernel/config';

const SCENARIOS = [
  { file: 'agent-scripted-3-steps', body: { name: 'replay-scripted', role: 'a recorder', goal: 'finish in three steps', input: 'record me', model: 'scripted:3' } },
  { file: 'agent-max-steps', body: { name: 'replay-max-steps', role: 'a recorder', goal: 'run out of steps', input: 'never done', model: 'scripted:10', constraints: { maxSteps: 2 } } },
  { file: 'agent-provider-401', body: { name: 'replay-failed', role: 'a recorder', goal: 'fail on a refused call', input: 'no key', model: 'anthropic:claude-none' } },
];

main(async () => {
  const logger = createLogger('warn');
  const config = loadConfig({ LOG_LEVEL: 'warn', ANTHROPIC_API_KEY: '' });
  const stack = await startStack({ config, logger, database: { pgliteDir: 'memory://' }, devServer: { ui: false }, apiPort: 0 });
  try {
    for (const scenario of SCENARIOS) {
      const res = await fetch(`${stack.apiUrl}/agents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(scenario.body) });
      if (res.status !== 201) throw new Error(`spawn ${scenario.file} answered ${res.status}: ${await res.text()}`);
      const { id } = (await res.json()) as { id: string };
      const handle = stack.client.workflow.getHandle(id);
      await handle.result().catch(() => undefined);
      const history = await handle.fetchHistory();
      const path = new URL(`../test/histories/${scenario.file}.json`, import.meta.url).pathname;
      writeFileSync(path, `${historyToJSON(history)}\n`);
      process.stdout.write(`recorded ${history.events?.length ?? 0} events → ${path}\n`);
    }
  } finally {
    await stack.stop();
  }
});
