/** `bun run api`: the Hono control-plane API on Bun, against an existing Temporal server and database. */
import { createLogger } from '../infra/logger';
import { main } from '../infra/main';
import { stopOnSignal } from '../infra/shutdown';
import { startStack } from '../infra/stack';
import { loadKernelConfig } from '../infra/config/file';

main(async () => {
  const { config, file } = await loadKernelConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const stack = await startStack({ config, configFile: file, logger, devServer: false, worker: false });
  stopOnSignal(stack.stop, logger);
  logger.info({ url: stack.apiUrl, temporal: stack.temporal.address, database: stack.db.where }, 'API listening');
});
