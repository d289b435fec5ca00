/**
 * `bun bin/temporal-server.ts [--postgres URL] [--port N] [--namespace NS] [--reset]`: the production Temporal
 * server (not the dev server) on Postgres, built once from the Go proxy; runs until Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { KernelError } from '../kernel/errors';
import { createLogger } from '../infra/logger';
import { main } from '../infra/main';
import { stopOnSignal } from '../infra/shutdown';
import { startProductionServer } from '../infra/temporal/production-server';

main(async () => {
  const { values } = parseArgs({
    options: {
      postgres: { type: 'string' },
      port: { type: 'string' },
      namespace: { type: 'string' },
      database: { type: 'string' },
      'visibility-database': { type: 'string' },
      reset: { type: 'boolean' },
    },
    strict: true,
  });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65_536)) {
    throw new KernelError('invalid_input', `--port ${values.port} is not a TCP port.`);
  }
  const logger = createLogger(process.env.LOG_LEVEL ?? 'info', 'temporal-server');
  const postgresUrl = values.postgres ?? process.env.TEMPORAL_POSTGRES_URL;
  const server = await startProductionServer({
    ...(postgresUrl ? { postgresUrl } : {}),
    ...(port ? { port } : {}),
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(values.database ? { database: values.database } : {}),
    ...(values['visibility-database'] ? { visibilityDatabase: values['visibility-database'] } : {}),
    reset: values.reset ?? false,
  });
  stopOnSignal(server.stop, logger);
  process.stdout.write(
    [
      '',
      'Temporal server (production build) is up.',
      `  Address    ${server.address}  namespace ${server.namespace}`,
      `  Databases  ${server.databases.default}, ${server.databases.visibility}`,
      `  Use it     TEMPORAL_ADDRESS=${server.address} bun run dev`,
      '',
      'Ctrl-C stops it (the databases stay).',
      '',
    ].join('\n'),
  );
});
