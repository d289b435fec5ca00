/** bun test preload: Temporal SDK logs through pino at TEST_LOG_LEVEL (default warn), once per process; the test prices. */
import { createLogger } from '../../infra/logger';
import { installTemporalRuntime } from '../../infra/temporal/runtime';
import { configurePrices } from '../../kernel/cost/price-table';
import { TEST_MODEL_PRICES } from './keys';

installTemporalRuntime(createLogger(process.env.TEST_LOG_LEVEL ?? 'warn'));

// Tests price the (free) scripted model, as an operator would a self-hosted one, so in-process
// activities bill as the stacks started with TEST_AUTH_ENV do.
configurePrices(JSON.parse(TEST_MODEL_PRICES) as Parameters<typeof configurePrices>[0]);
