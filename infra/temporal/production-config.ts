import { KernelError } from '../../kernel/errors';

/** Where a Postgres server listens and who to log in as, read from a `postgres://` URL. */
export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The database named in the URL (default `postgres`): where databases are created from, never written to. */
  adminDatabase: string;
}

/** Reads `postgres://user:password@host:port/db` into its parts; throws a sentence on anything else. */
export function parsePostgresUrl(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new KernelError('invalid_config', `${JSON.stringify(url)} is not a postgres:// URL.`, { cause: err });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new KernelError('invalid_config', `${JSON.stringify(url)} is not a postgres:// URL.`);
  }
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username) || 'postgres',
    password: decodeURIComponent(parsed.password),
    adminDatabase: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres',
  };
}

/** The ports of a single-node cluster: each service's gRPC and membership port, and the frontend's HTTP port. */
export interface ProductionPorts {
  frontend: { grpc: number; membership: number; http: number };
  history: { grpc: number; membership: number };
  matching: { grpc: number; membership: number };
  worker: { grpc: number; membership: number };
}

/** What the server config file says. */
export interface ProductionConfigInput {
  /** The IP every service binds to and announces (a single node: 127.0.0.1). */
  host: string;
  ports: ProductionPorts;
  postgres: PostgresTarget;
  /** Database holding workflow state (history, mutable state, task queues). */
  database: string;
  /** Database holding visibility records (list/count workflows, search attributes). */
  visibilityDatabase: string;
  /** Absolute path of the dynamic config file. */
  dynamicConfigFile: string;
  /** Fixed for the life of the database: changing it later needs a new database. */
  numHistoryShards: number;
  /** The server's zap log level: debug, info, warn or error. */
  logLevel: string;
  /** Connection pool size of the default store (the visibility store gets half). */
  maxConns: number;
}

/** A YAML scalar: JSON is YAML, so strings are written JSON-quoted and numbers and booleans as they are. */
function scalar(value: string | number | boolean): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function datastore(input: ProductionConfigInput, database: string, maxConns: number): string[] {
  const { postgres } = input;
  return [
    '      sql:',
    `        pluginName: ${scalar('postgres12')}`,
    `        databaseName: ${scalar(database)}`,
    `        connectAddr: ${scalar(`${postgres.host.includes(':') ? `[${postgres.host}]` : postgres.host}:${postgres.port}`)}`,
    `        connectProtocol: ${scalar('tcp')}`,
    `        user: ${scalar(postgres.user)}`,
    `        password: ${scalar(postgres.password)}`,
    `        maxConns: ${maxConns}`,
    `        maxIdleConns: ${maxConns}`,
    `        maxConnLifetime: ${scalar('1h')}`,
  ];
}

function service(name: string, host: string, ports: { grpc: number; membership: number; http?: number }): string[] {
  return [
    `  ${name}:`,
    '    rpc:',
    `      grpcPort: ${ports.grpc}`,
    `      membershipPort: ${ports.membership}`,
    `      bindOnIP: ${scalar(host)}`,
    ...(ports.http ? [`      httpPort: ${ports.http}`] : []),
  ];
}

/**
 * Renders the server config (the `--env` file the server loads): both stores on the `postgres12` SQL
 * plugin, one node running frontend, history, matching and worker, no metrics or pprof listener.
 */
export function renderServerConfig(input: ProductionConfigInput): string {
  const { host, ports } = input;
  const frontend = `${host}:${ports.frontend.grpc}`;
  return [
    'log:',
    '  stdout: true',
    `  level: ${scalar(input.logLevel)}`,
    '',
    'persistence:',
    `  defaultStore: ${scalar('postgres-default')}`,
    `  visibilityStore: ${scalar('postgres-visibility')}`,
    `  numHistoryShards: ${input.numHistoryShards}`,
    '  datastores:',
    '    postgres-default:',
    ...datastore(input, input.database, input.maxConns),
    '    postgres-visibility:',
    ...datastore(input, input.visibilityDatabase, Math.max(2, Math.floor(input.maxConns / 2))),
    '',
    'global:',
    '  membership:',
    `    maxJoinDuration: ${scalar('30s')}`,
    `    broadcastAddress: ${scalar(host)}`,
    '  pprof:',
    '    port: 0',
    '',
    'services:',
    ...service('frontend', host, ports.frontend),
    ...service('history', host, ports.history),
    ...service('matching', host, ports.matching),
    ...service('worker', host, ports.worker),
    '',
    'clusterMetadata:',
    '  enableGlobalNamespace: false',
    '  failoverVersionIncrement: 10',
    `  masterClusterName: ${scalar('active')}`,
    `  currentClusterName: ${scalar('active')}`,
    '  clusterInformation:',
    '    active:',
    '      enabled: true',
    '      initialFailoverVersion: 1',
    `      rpcName: ${scalar('frontend')}`,
    `      rpcAddress: ${scalar(frontend)}`,
    `      httpAddress: ${scalar(`${host}:${ports.frontend.http}`)}`,
    '',
    'dcRedirectionPolicy:',
    `  policy: ${scalar('noop')}`,
    '',
    'dynamicConfigClient:',
    `  filepath: ${scalar(input.dynamicConfigFile)}`,
    `  pollInterval: ${scalar('10s')}`,
    '',
  ].join('\n');
}

/** Reads one `key=value` setting (the dev server's `--dynamic-config-value` form; the value is JSON, else a string). */
export function parseDynamicSetting(setting: string): { key: string; value: unknown } {
  const eq = setting.indexOf('=');
  if (eq <= 0) throw new KernelError('invalid_config', `dynamic config setting ${JSON.stringify(setting)} is not key=value.`);
  const key = setting.slice(0, eq).trim();
  const raw = setting.slice(eq + 1).trim();
  try {
    return { key, value: JSON.parse(raw) as unknown };
  } catch {
    return { key, value: raw };
  }
}

/**
 * Renders `key=value` settings as a dynamic config file: each key holds one unconstrained value
 * (`key:\n  - value: X`). A key given twice keeps its last value, as on the dev server's command line.
 */
export function renderDynamicConfig(settings: readonly string[]): string {
  const byKey = new Map<string, unknown>();
  for (const setting of settings) {
    const { key, value } = parseDynamicSetting(setting);
    byKey.set(key, value);
  }
  const lines: string[] = [];
  for (const [key, value] of byKey) {
    lines.push(`${/^[A-Za-z0-9_.]+$/.test(key) ? key : JSON.stringify(key)}:`, `  - value: ${JSON.stringify(value)}`);
  }
  return `${lines.join('\n')}\n`;
}
