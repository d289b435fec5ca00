import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { NativeConnection, WorkflowBundle } from '@temporalio/worker';
import type { Connection } from '@temporalio/client';
import { createProviderGuard } from '../activities/llm/guard';
import { builtinTools } from '../activities/tools/builtin';
import { vectorRetrieval } from '../activities/llm/vector-config';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { startPresence } from './node-presence';
import { adoptDeadNode } from './node-adoption';
import { nodeTaskQueue as nodeQueueOf } from '../kernel/agent/placement';
import { createProviderRegistry } from '../activities/llm/registry';
import { createApp } from '../api/app';
import { securityFromConfig } from '../api/auth/settings';
import { limitsFromConfig } from '../kernel/limits';
import { ensureBootstrapKey } from '../db/api-keys';
import type { ControlDeps } from '../control/deps';
import { startClosureSweep } from './closure-sweep';
import { loadToolModules } from './tool-modules';
import { databaseOptionsFromConfig, openDatabase, type Database, type OpenDatabaseOptions } from '../db/client';
import type { Config } from '../kernel/config';
import type { Logger } from './logger';
import { connectClient, connectWorker, temporalAddress } from './temporal/client';
import { kernelDataConverter } from './temporal/codec';
import { resolveCodecKeys } from './temporal/codec-keys';
import { ensureMemorySweep, ensureRetention } from './maintenance-schedules';
import { takeShared } from '../db/rate-buckets';
import { readConfigFile, type ConfigFile } from './config/file';
import { startLiveConfig } from './config/live';
import { resolveConfig } from '../kernel/config';
import { configurePrices } from '../kernel/cost/price-table';
import { McpHub } from '../activities/tools/mcp/hub';
import { secretBox } from '../activities/tools/mcp/secret-box';
import { startDevServer, type DevServer } from './temporal/dev-server';
import { installTemporalRuntime } from './temporal/runtime';
import { ensureSearchAttributes } from './temporal/search-attributes';
import { createKernelNode, type KernelNode } from './temporal/worker';
import { currentTracing, startTracing, type Tracing } from './telemetry/tracing';
import { serveNodeMetrics } from './telemetry/scrape';

/** How long a stopping API waits for the requests it is still answering (the Temporal deadline, and a margin). */
const IN_FLIGHT_GRACE_MS = 6_000;

/** Which parts to run and where; anything omitted follows `config`. */
export interface StackOptions {
  config: Config;
  logger: Logger;
  /** Overrides the database location (tests pass a fresh database or `memory://`). */
  database?: OpenDatabaseOptions;
  /**
   * A local Temporal dev server: an object starts one on free ports (tests), `false` never starts
   * one (connect to TEMPORAL_ADDRESS or 127.0.0.1:TEMPORAL_PORT), omitted starts one on the
   * configured ports only when TEMPORAL_ADDRESS is unset (`bun run dev`).
   */
  devServer?: { dbFile?: string; ui?: boolean; tuning?: 'kernel' | 'stock' } | false;
  /** Run a worker in this process (default true). */
  worker?: boolean;
  /** Serve the API (default true). `apiPort: 0` picks a free port. */
  api?: boolean;
  apiPort?: number;
  workflowBundle?: WorkflowBundle;
  /** The environment the config was read from (which settings it set wins over the file); default process.env. */
  configEnv?: Readonly<Record<string, string | undefined>>;
  /** The config file already read (bin entry points); default: read it from `configEnv`. */
  configFile?: ConfigFile;
}

/** A running kernel: its parts, its URLs and one way to stop them all. */
export interface Stack {
  db: Database;
  client: Client;
  node: KernelNode | undefined;
  /** This process's node id when it runs a worker. */
  nodeId: string | undefined;
  /** Where Temporal is; `devServer` is set when this stack started its own (tests stop it to see the kernel without Temporal). */
  temporal: { address: string; uiUrl: string | undefined; namespace: string; devServer?: DevServer };
  apiUrl: string | undefined;
  /** The data converter of this stack's client and workers (encrypted payloads, encoded failures). */
  dataConverter: DataConverter;
  /** This process's tracing, when a collector is configured. */
  tracing: Tracing | undefined;
  /** A root API key this start created (there was none): to be shown once, never logged. */
  bootstrapKey: string | undefined;
  /** Stops API, worker, connections, database and (if started here) the dev server, in that order. */
  stop(): Promise<void>;
}

/** Brings up Temporal (dev server unless TEMPORAL_ADDRESS), the database, a worker and the API. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const { config, logger } = options;
  installTemporalRuntime(logger);
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        logger.warn({ err }, 'cleanup step failed');
      }
    }
    cleanups.length = 0;
  };

  try {
    // Tracing first, so the client and the workers are built with its interceptors; a stack that
    // started it turns it off when it stops.
    const inherited = currentTracing();
    const tracing = inherited ?? startTracing({ ...config, attributes: { 'service.instance.id': config.NODE_ID ?? `${hostname()}-${process.pid}` } }, logger);
    if (tracing && !inherited) cleanups.push(tracing.shutdown);
    let dev: DevServer | undefined;
    if (options.devServer || (options.devServer === undefined && !config.TEMPORAL_ADDRESS)) {
      dev = await startDevServer({
        dbFile: options.devServer ? options.devServer.dbFile : join(config.DATA_DIR, 'temporal.db'),
        port: options.devServer ? undefined : config.TEMPORAL_PORT,
        uiPort: options.devServer ? undefined : config.TEMPORAL_UI_PORT,
        ui: options.devServer?.ui ?? true,
        ...(options.devServer && options.devServer.tuning ? { tuning: options.devServer.tuning } : {}),
        namespace: config.TEMPORAL_NAMESPACE,
      });
      cleanups.push(dev.stop);
    }
    const target = { ...config, address: dev?.address ?? temporalAddress(config) };

    const db = await openDatabase(options.database ?? databaseOptionsFromConfig(config));
    cleanups.push(db.close);

    const codecKeys = resolveCodecKeys(config, { create: dev !== undefined && options.devServer === undefined, logger });
    const dataConverter = kernelDataConverter(codecKeys);
    const client = await connectClient(target, dataConverter, tracing ? [tracing.plugin] : []);
    cleanups.push(() => client.connection.close());
    await ensureSearchAttributes(client.connection as Connection, config.TEMPORAL_NAMESPACE, logger);

    configurePrices(config.MODEL_PRICES);
    // Live config: a changed config file (read by any process) is applied by every process of the cluster.
    const configEnv = options.configEnv ?? process.env;
    const file = options.configFile ?? (await readConfigFile(configEnv));
    // One object each, read at use and updated in place by a live change (every holder sees it).
    const limits = limitsFromConfig(config);
    const pressure = { warn: config.MEMORY_WARN_RATIO, flush: config.MEMORY_FLUSH_RATIO };
    // The API's security settings (its rate limiter is live too); none on a worker-only node.
    const security = (options.api ?? true) ? securityFromConfig(config, dev?.uiUrl ?? process.env.TEMPORAL_UI_URL, dataConverter.payloadCodecs?.[0], limits) : undefined;
    const guardLimits = { requestsPerMinute: config.LLM_REQUESTS_PER_MINUTE, tokensPerMinute: config.LLM_TOKENS_PER_MINUTE, breakerThreshold: 5, halfOpenAfterMs: 10_000 };
    const live = await startLiveConfig({
      db: db.db,
      pubsub: db.pubsub,
      config,
      env: configEnv,
      file,
      sources: resolveConfig({ base: file.base, profile: file.profileValues }, configEnv).sources,
      nodeId: config.NODE_ID ?? `${hostname()}-${process.pid}`,
      logger,
      apply: () => {
        configurePrices(config.MODEL_PRICES);
        logger.level = config.LOG_LEVEL;
        guardLimits.requestsPerMinute = config.LLM_REQUESTS_PER_MINUTE;
        guardLimits.tokensPerMinute = config.LLM_TOKENS_PER_MINUTE;
        Object.assign(limits, limitsFromConfig(config));
        Object.assign(pressure, { warn: config.MEMORY_WARN_RATIO, flush: config.MEMORY_FLUSH_RATIO });
        security?.limiter.setPerMinute(config.AOS_RATE_LIMIT_PER_MINUTE);
        if (tracing) tracing.content = config.AOK_TRACE_CONTENT;
      },
    });
    cleanups.push(live.stop);
    const tools = builtinTools();
    for (const tool of await loadToolModules(config.TOOL_MODULES)) tools.register(tool);
    // MCP connections: the API's own (it lists tools, reads resources, then closes them) and the
    // worker's pool (its calls; kept, closed when idle) — never one the other could close mid-call.
    const secrets = secretBox(codecKeys);
    const mcp = new McpHub({ db: db.db, box: secrets, logger });
    const nodeMcp = new McpHub({ db: db.db, box: secrets, logger });
    cleanups.push(() => mcp.close(), () => nodeMcp.close());
    const control: ControlDeps = {
      client,
      db: db.db,
      pubsub: db.pubsub,
      taskQueue: config.TASK_QUEUE,
      defaultModel: config.MODEL,
      agingIntervalMs: config.AGING_INTERVAL_MS,
      limits,
      tools,
      temporalUiUrl: dev?.uiUrl ?? process.env.TEMPORAL_UI_URL,
      logger,
      mcp,
      secrets,
    };
    let node: KernelNode | undefined;
    let nodeId: string | undefined;
    if (options.worker ?? true) {
      const id = config.NODE_ID ?? `${hostname()}-${process.pid}`;
      nodeId = id;
      const nodeTaskQueue = nodeQueueOf(config.TASK_QUEUE, id);
      const connection: NativeConnection = await connectWorker(target);
      cleanups.push(() => connection.close());
      // Rate limits hold across every node together: one bucket per provider in Postgres.
      const guard = createProviderGuard(guardLimits, Date.now, (key, perMinute, n) => takeShared(db.db, key, perMinute, n));
      node = await createKernelNode({
        connection,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: config.TASK_QUEUE,
        llmSlots: config.LLM_SLOTS,
        workflowCacheSize: config.WORKFLOW_CACHE_SIZE,
        nodeTaskQueue,
        nodeId: id,
        gpuLeaseMs: config.GPU_LEASE_MS,
        defaultModel: config.MODEL,
        agingIntervalMs: config.AGING_INTERVAL_MS,
        limits,
        dataConverter,
        db: db.db,
        pubsub: db.pubsub,
        tools,
        mcp: nodeMcp,
        secrets,
        providerFor: createProviderRegistry(config),
        guard,
        pressure,
        vectors: vectorRetrieval(config, db.vector, logger),
        workflowBundle: options.workflowBundle,
        tracing,
      });
      const self = node;
      const running = node.run();
      cleanups.push(async () => {
        self.shutdown();
        await running;
      });
      // Announced only once its workers exist, so nothing is placed on a node that cannot poll yet
      // (and bundling, which blocks the event loop, cannot make a fresh node miss its heartbeats).
      cleanups.push(
        await startPresence(
          db.db,
          {
            nodeId: id,
            taskQueue: nodeTaskQueue,
            leaseMs: config.NODE_LEASE_MS,
            smiCommand: config.NVIDIA_SMI_COMMAND,
            topoCommand: config.NVIDIA_SMI_TOPO_COMMAND || undefined,
            gpuIntervalMs: config.GPU_INVENTORY_MS,
            live: () => ({ providers: guard.states(), configVersion: live.status().version }),
            pubsub: db.pubsub,
            onDraining: () => self.cordon(),
            onUndrained: () => void self.uncordon().catch((err: unknown) => logger.error({ err }, 'could not poll the shared queues again')),
            onDead: (dead) => {
              for (const d of dead) void adoptDeadNode({ db: db.db, client, logger, nodeId: id, taskQueue: config.TASK_QUEUE, pollQueue: self.pollQueue }, d);
            },
          },
          logger,
        ),
      );
      cleanups.push(startClosureSweep(control, { nodeId: id, intervalMs: config.RECONCILE_INTERVAL_MS }));
      await ensureMemorySweep(client, config.TASK_QUEUE, logger);
      await ensureRetention(client, config.TASK_QUEUE, logger);
    }

    // A process without the API (a worker-only node) serves its own metrics when asked to.
    if (config.METRICS_PORT > 0 && options.api === false) {
      const metrics = serveNodeMetrics(config.API_HOST, config.METRICS_PORT);
      cleanups.push(metrics.stop);
      logger.info({ url: metrics.url }, 'node metrics');
    }

    let apiUrl: string | undefined;
    let bootstrapKey: string | undefined;
    // `security` exists exactly when this process serves the API.
    if (security) {
      bootstrapKey = (await ensureBootstrapKey(db.db, config.AOS_BOOTSTRAP_KEY)) ?? undefined;
      const app = createApp({ ...control, config: { effective: config, live }, security });
      // Requests still being answered when the stack stops finish (up to the Temporal deadline) before
      // the client they use is closed: a handler cut off mid-call would fail with a closed channel.
      const inFlight = new Set<Promise<Response>>();
      const server = Bun.serve({
        // Above the request deadline (api/request-deadline.ts), so a slow request gets its 503, not a cut connection.
        idleTimeout: 30,
        hostname: config.API_HOST,
        port: options.apiPort ?? config.API_PORT,
        fetch: (req, srv) => {
          const answer = Promise.resolve(app.fetch(req, srv));
          inFlight.add(answer);
          void answer.finally(() => inFlight.delete(answer)).catch(() => undefined);
          return answer;
        },
      });
      cleanups.push(async () => {
        await server.stop(true);
        await Promise.race([Promise.allSettled([...inFlight]), Bun.sleep(IN_FLIGHT_GRACE_MS)]);
      });
      apiUrl = `http://${config.API_HOST}:${server.port}`;
    }

    return {
      db,
      client,
      node,
      nodeId,
      temporal: { address: target.address, uiUrl: dev?.uiUrl, namespace: config.TEMPORAL_NAMESPACE, devServer: dev },
      apiUrl,
      dataConverter,
      tracing,
      bootstrapKey,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
