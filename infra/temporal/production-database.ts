import { existsSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { KernelError } from '../../kernel/errors';
import { portIsFree } from '../free-port';
import { startFailure } from './dev-server';
import { SERVER_MODULE, TEMPORAL_SERVER_VERSION } from './production-binaries';
import type { PostgresTarget } from './production-config';

const HOST = '127.0.0.1';

/** Where a store's versioned schema comes from: a folder of the module in the Go module cache, else the SQL tool's embedded copy. */
export type SchemaSource = { dir: string } | { embedded: string };

/** The versioned schema folders of the pinned server in `$(go env GOMODCACHE)`, or the SQL tool's embedded schemas without Go. */
export async function schemaSources(env: Record<string, string | undefined>): Promise<{ default: SchemaSource; visibility: SchemaSource }> {
  const embedded = { default: { embedded: 'postgresql/v12/temporal' }, visibility: { embedded: 'postgresql/v12/visibility' } };
  const go = Bun.which('go', { PATH: env.PATH ?? '' });
  if (!go) return embedded;
  const proc = Bun.spawn([go, 'env', 'GOMODCACHE'], { env, stdout: 'pipe', stderr: 'ignore' });
  const modCache = (await new Response(proc.stdout).text()).trim();
  if ((await proc.exited) !== 0 || !modCache) return embedded;
  const root = join(modCache, `${SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`, 'schema', 'postgresql', 'v12');
  const dirs = { default: join(root, 'temporal', 'versioned'), visibility: join(root, 'visibility', 'versioned') };
  return existsSync(dirs.default) && existsSync(dirs.visibility) ? { default: { dir: dirs.default }, visibility: { dir: dirs.visibility } } : embedded;
}

/** Runs the SQL tool against one database; throws with the end of its output when it fails. */
async function sqlTool(binary: string, pg: PostgresTarget, database: string, args: string[]): Promise<void> {
  const proc = Bun.spawn(
    [binary, '--plugin', 'postgres12', '--endpoint', pg.host, '--port', String(pg.port), '--user', pg.user, '--database', database, ...args],
    // The password goes through the environment, not the process list.
    { env: { ...process.env, SQL_PASSWORD: pg.password }, stdout: 'pipe', stderr: 'pipe' },
  );
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) {
    // Its console log: colour codes, then `time LEVEL message {json}`; the ERROR lines say why.
    const lines = `${out}\n${err}`.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
    const errors = [...new Set(lines.filter((l) => /\tERROR\t/.test(l)).map((l) => l.split('\t').slice(2).join(' ').replace(/,? *"logging-call-at": *"[^"]*"/, '')))];
    const why = errors.length > 0 ? errors.slice(-3).join('; ') : startFailure(lines.join('\n'));
    throw new KernelError('unavailable', `temporal-sql-tool ${args[0]} on ${database} at ${pg.host}:${pg.port} failed (exit ${code}): ${why}`);
  }
}

/**
 * Creates a database when missing and brings its schema to the newest version (`setup-schema -v 0.0`,
 * then `update-schema`); both steps skip what is already there, so a second run changes nothing.
 */
export async function prepareDatabase(binary: string, pg: PostgresTarget, database: string, schema: SchemaSource, reset: boolean): Promise<void> {
  if (reset) await sqlTool(binary, pg, database, ['drop-database', '--defaultdb', pg.adminDatabase, '--force']);
  await sqlTool(binary, pg, database, ['create-database', '--defaultdb', pg.adminDatabase]);
  await sqlTool(binary, pg, database, ['setup-schema', '-v', '0.0']);
  await sqlTool(binary, pg, database, ['update-schema', ...('dir' in schema ? ['-d', schema.dir] : ['--schema-name', schema.embedded])]);
}

/**
 * Removes the membership rows of this machine's dead nodes (a previous run: nothing listens on their
 * port any more). A node joins the cluster through the hosts in `cluster_membership` that heartbeated
 * in the last 20 s; after a quick restart those are the previous run's, dead, and the ring join of a
 * service can hang for its whole 30 s `maxJoinDuration` (seen: matching, then "Not enough hosts to
 * serve the request" for 45 s). Live rows are kept: a second server on the same databases is a second node.
 */
export async function forgetDeadMembers(pg: PostgresTarget, database: string): Promise<number> {
  const sql = postgres({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database, max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ host_id: Uint8Array; rpc_port: number }[]>`select host_id, rpc_port from cluster_membership where rpc_address = ${HOST}`;
    let removed = 0;
    for (const row of rows) {
      if (!(await portIsFree(row.rpc_port, HOST))) continue;
      await sql`delete from cluster_membership where host_id = ${row.host_id} and rpc_address = ${HOST} and rpc_port = ${row.rpc_port}`;
      removed++;
    }
    return removed;
  } finally {
    await sql.end();
  }
}

