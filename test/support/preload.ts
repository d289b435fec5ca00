/** bun test preload: hook and test timeouts, and Temporal SDK logs through pino at TEST_LOG_LEVEL (default warn). */
import { setDefaultTimeout } from 'bun:test';
import { createLogger } from '../../infra/logger';
import { installTemporalRuntime } from '../../infra/temporal/runtime';

// Suites start a real Temporal server, a database and workers in beforeAll: the 5 s default is too short.
setDefaultTimeout(120_000);
installTemporalRuntime(createLogger(process.env.TEST_LOG_LEVEL ?? 'warn'));
