/** bun test preload: Temporal SDK logs through pino at TEST_LOG_LEVEL (default warn), once per process. */
import { createLogger } from '../../infra/logger';
import { installTemporalRuntime } from '../../infra/temporal/runtime';

installTemporalRuntime(createLogger(process.env.TEST_LOG_LEVEL ?? 'warn'));
