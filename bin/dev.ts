/**
 * `bun run dev`: the whole stack on embedded defaults — Temporal dev server + UI, PGlite, a worker, the API.
 * `bun run dev --with-jaeger` also starts Jaeger (OTLP on :4318, UI on :16686) and traces into it.
 */
import { createLogger } from '../infra/logger';
import { main } from '../infra/main';
import { stopOnSignal } from '../infra/shutdown';
import { startStack } from '../infra/stack';
import { loadKernelConfig } from '../infra/config/file';
import { startJaeger } from '../infra/telemetry/jaeger';

main(async () => {
  const withJaeger = process.argv.includes('--with-jaeger');
  const jaeger = withJaeger ? await startJaeger({ otlpPort: 4318, uiPort: 16686 }) : undefined;
  const env = jaeger ? { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint } : process.env;
  const { config, file } = await loadKernelConfig(env);
  const logger = createLogger(config.LOG_LEVEL);
  logger.info('starting the stack (the first run may build the Temporal CLI)…');
  const stack = await startStack({ config, configFile: file, configEnv: env, logger }).catch(async (err: unknown) => {
    await jaeger?.stop();
    throw err;
  });
  stopOnSignal(async () => {
    await stack.stop();
    await jaeger?.stop();
  }, logger);
  const lines = [
    '',
    'Agent OS Kernel is up.',
    `  API          ${stack.apiUrl}            (reference: ${stack.apiUrl}/docs, OpenAPI: ${stack.apiUrl}/openapi.json)`,
    `  Temporal UI  ${stack.temporal.uiUrl ?? '(external cluster)'}`,
    `  Temporal     ${stack.temporal.address}  namespace ${stack.temporal.namespace}`,
    `  Database     ${stack.db.where}${stack.db.vector ? ' (pgvector)' : ''}`,
    `  Metrics      ${stack.apiUrl}/metrics     (Prometheus; root key)`,
    `  Traces       ${jaeger ? `${jaeger.uiUrl}  (Jaeger; service ${config.OTEL_SERVICE_NAME})` : stack.tracing ? `OTLP → ${config.OTEL_EXPORTER_OTLP_ENDPOINT ?? config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}` : 'off (bun run dev --with-jaeger, or OTEL_EXPORTER_OTLP_ENDPOINT)'}`,
    '',
    ...(stack.bootstrapKey
      ? ['Your root API key (shown this once; it is stored only as a hash — keep it, or set AOS_BOOTSTRAP_KEY):', `  export AOS_KEY=${stack.bootstrapKey}`, '']
      : ['API key: the one printed at the first start, or AOS_BOOTSTRAP_KEY.', '']),
    'Try:',
    `  curl -s -X POST ${stack.apiUrl}/agents -H "authorization: Bearer $AOS_KEY" -H 'content-type: application/json' \\`,
    `    -d '{"name":"hello","role":"a helpful assistant","goal":"greet the user","input":"Hi!"}'`,
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
});
