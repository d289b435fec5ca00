/** `bun run worker`: one node — a Temporal worker running the agent workflows and activities. */
import { createLogger } from '../infra/logger';
import { main } from '../infra/main';
import { stopOnSignal } from '../infra/shutdown';
import { startStack } from '../infra/stack';
import { loadKernelConfig } from '../infra/config/file';

main(async () => {
  const { config, file } = await loadKernelConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const stack = await startStack({ config, configFile: file, logger, devServer: false, api: false });
  stopOnSignal(stack.stop, logger);
  logger.info({ temporal: stack.temporal.address, taskQueue: config.TASK_QUEUE, database: stack.db.where }, 'node running');
});
