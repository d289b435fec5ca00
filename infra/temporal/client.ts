import { Client, type ClientPlugin, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../../kernel/config';

/** Where and how to reach Temporal. */
export type TemporalTarget = Pick<Config, 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TLS' | 'TEMPORAL_API_KEY'> & { address: string };

/** The frontend address from config: TEMPORAL_ADDRESS, else the local dev server's port. */
export function temporalAddress(config: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_PORT'>): string {
  return config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`;
}

/**
 * The connection options both sides use: TLS with the system's roots when TEMPORAL_TLS is set (or an
 * API key is given: Temporal Cloud requires TLS with one), and the API key, which the SDK sends as a
 * bearer token on every call.
 */
export function connectionOptions(target: TemporalTarget): { address: string; tls: Record<string, never> | undefined; apiKey: string | undefined } {
  const tls = target.TEMPORAL_TLS || target.TEMPORAL_API_KEY ? {} : undefined;
  return { address: target.address, tls, apiKey: target.TEMPORAL_API_KEY };
}

/**
 * Connects a Temporal client (API side). Queries are rejected once a run has closed, so a closed
 * agent is never read as live from a replay of its history: the kernel learns it closed instead.
 * `dataConverter` is the kernel's (encrypted payloads, encoded failures); `plugins` add tracing.
 */
export async function connectClient(target: TemporalTarget, dataConverter?: DataConverter, plugins: ClientPlugin[] = []): Promise<Client> {
  const connection = await Connection.connect(connectionOptions(target));
  return new Client({ connection, namespace: target.TEMPORAL_NAMESPACE, dataConverter, plugins, workflow: { queryRejectCondition: 'NOT_OPEN' } });
}

/** Connects a native connection (worker side). */
export function connectWorker(target: TemporalTarget): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(target));
}
