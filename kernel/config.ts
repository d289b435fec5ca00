import { z } from 'zod';
import { KernelError } from './errors';

const port = z.coerce.number().int().min(0).max(65535);
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** Every setting of the kernel, read from the environment, with defaults for the embedded stack. */
export const configSchema = z.object({
  /** host:port of a Temporal frontend; unset means `bun run dev` starts a local dev server. */
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Present a client TLS connection to Temporal (Temporal Cloud, mTLS clusters). */
  TEMPORAL_TLS: z.stringbool().default(false),
  TEMPORAL_API_KEY: optionalString,
  /** The shared task queue every node polls for agent workflows and activities. */
  TASK_QUEUE: z.string().min(1).default('agent-os'),
  /** Postgres URL; unset means embedded PGlite under DATA_DIR/pg. */
  DATABASE_URL: optionalString,
  DATA_DIR: z.string().min(1).default('.data'),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  /** Default model spec `provider:model`, e.g. `openai:gpt-4o-mini`; `scripted` runs offline. */
  MODEL: z.string().min(1).default('scripted'),
  OPENAI_BASE_URL: z.url().default('https://api.openai.com/v1'),
  OPENAI_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: z.url().default('https://api.anthropic.com'),
  ANTHROPIC_API_KEY: optionalString,
  /** Concurrent LLM calls one node runs per provider (the provider task queue's slots). */
  LLM_SLOTS: z.coerce.number().int().min(1).max(1000).default(8),
  /**
   * Workflows a node keeps in its sticky cache; unset: a quarter of the machine's memory at ~1.4 MiB
   * per cached workflow (bench/results/memory.json), between 100 and 2,000. A workflow out of the
   * cache is replayed from its history at its next task. The SDK's own default reads V8's heap limit,
   * which Bun reports as ~270 MiB, and came to 41 — fewer than the agents a node runs, so nearly
   * every step replayed its agent's whole history.
   */
  WORKFLOW_CACHE_SIZE: z.coerce.number().int().min(0).max(100_000).optional(),
  /** Per-node provider limits; 0 means unlimited. */
  LLM_REQUESTS_PER_MINUTE: z.coerce.number().int().min(0).default(0),
  LLM_TOKENS_PER_MINUTE: z.coerce.number().int().min(0).default(0),
  /** Prices that win over the maintained table, by model name (JSON: {"my-model": {"inputPerMTok": 0.1, "outputPerMTok": 0.2}}); the scripted model is free unless priced here. */
  MODEL_PRICES: z
    .string()
    .default('{}')
    .transform((text, ctx) => {
      try {
        return JSON.parse(text.trim() === '' ? '{}' : text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'MODEL_PRICES is not JSON' });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string().min(1), z.object({ inputPerMTok: z.number().min(0), outputPerMTok: z.number().min(0), cacheReadPerMTok: z.number().min(0).optional(), cacheWritePerMTok: z.number().min(0).optional(), reasoningPerMTok: z.number().min(0).optional() }).strict())),
  /** A step not picked up within this long is re-queued one priority level higher. */
  AGING_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** Embeddings for vector retrieval where pgvector exists: `openai:<model>` or `hash` (local); unset = full-text only. */
  EMBEDDING_MODEL: optionalString,
  /** Share of relevance from vector similarity when embeddings are on. */
  VECTOR_WEIGHT: z.coerce.number().min(0).max(1).default(0.3),
  /** This node's id (`bun run worker` is a node); default `<hostname>-<pid>`. */
  NODE_ID: optionalString,
  /** A node whose heartbeat lease lapses this long is declared dead. */
  NODE_LEASE_MS: z.coerce.number().int().min(300).max(600_000).default(15_000),
  /** How a node inventories its GPUs (`-q -x` XML or a `--query-gpu … --format=csv` query). */
  NVIDIA_SMI_COMMAND: z.string().default('nvidia-smi -q -x'),
  /** How a node reads how its GPUs are linked (a tie-breaker for multi-GPU placement); empty: not read. */
  NVIDIA_SMI_TOPO_COMMAND: z.string().default('nvidia-smi topo -m'),
  /** How often a node reads its GPUs again (memory others use, GPUs that vanish or fail). */
  GPU_INVENTORY_MS: z.coerce.number().int().min(500).max(3_600_000).default(10_000),
  /** A GPU reservation not renewed (every step renews it) for this long is released. */
  GPU_LEASE_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(120_000),
  /** Memory pressure: warn when an agent's pages fill this share of its page budget… */
  MEMORY_WARN_RATIO: z.coerce.number().positive().default(0.7),
  /** …and summarise what falls out of the window from this share on. */
  MEMORY_FLUSH_RATIO: z.coerce.number().positive().default(1),
  /** Modules with more tools (comma-separated paths; each exports `tools`); every node and the API load the same. */
  TOOL_MODULES: optionalString,
  /** How often a node sweeps for agents whose runs were closed outside the kernel (terminated in the Temporal UI or CLI). */
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** The root API key (`aok_…`, e.g. from `bun bin/new-key.ts`); unset: the first start creates one and prints it once. */
  AOS_BOOTSTRAP_KEY: optionalString,
  /** Payload encryption keys, `id:base64` (32 bytes) comma-separated, the first one active; unset: DATA_DIR/codec.keys (made by `bun run dev`), else none. */
  AOS_CODEC_KEYS: optionalString,
  /** Run with payloads in plain text when no codec key is found (otherwise the API and workers refuse to start). */
  AOS_PLAINTEXT_PAYLOADS: z.stringbool().default(false),
  /** JWT sign-in for teams with an identity provider: its JWKS URL (unset: API keys only). */
  AOS_JWT_JWKS_URL: optionalString.pipe(z.url().optional()),
  /** The algorithms a token may be signed with (comma-separated, asymmetric only: the algorithm is pinned). */
  AOS_JWT_ALGORITHMS: z
    .string()
    .default('RS256')
    .transform((v) => v.split(',').map((a) => a.trim()).filter(Boolean))
    .pipe(z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])).min(1)),
  AOS_JWT_ISSUER: optionalString,
  AOS_JWT_AUDIENCE: optionalString,
  /** The token claim that names the caller's tenant. */
  AOS_JWT_TENANT_CLAIM: z.string().min(1).default('tenant'),
  /** Requests a minute one key may make (a token bucket); 0 means unlimited. */
  AOS_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(1200),
  /** Browser origins allowed to change things (comma-separated; the Temporal UI's is added for the codec). */
  AOS_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean)),
  /** Agents one tenant may have live at once (spawn refuses more with 429); 0 means unlimited. */
  TENANT_MAX_LIVE_AGENTS: z.coerce.number().int().min(0).default(500),
  /** USD one tenant may spend per UTC day, checked at spawn (429) and before every model call (the agent suspends); 0 means unlimited. */
  TENANT_MAX_COST_USD_PER_DAY: z.coerce.number().min(0).default(0),
  /** Event streams (SSE) one tenant may hold open at once; 0 means unlimited. */
  TENANT_MAX_EVENT_STREAMS: z.coerce.number().int().min(0).default(64),
  /** The token budget of an agent that names none (no agent runs unbounded); 0 means none. */
  DEFAULT_MAX_TOTAL_TOKENS: z.coerce.number().int().min(0).default(2_000_000),
  /** An OpenTelemetry collector's OTLP/HTTP base URL (e.g. http://127.0.0.1:4318); unset: tracing is off and costs nothing. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString.pipe(z.url().optional()),
  /** The OTLP/HTTP traces URL, when it is not `<endpoint>/v1/traces`. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalString.pipe(z.url().optional()),
  /** The `service.name` of this process's spans and metrics. */
  OTEL_SERVICE_NAME: z.string().min(1).default('agent-os-kernel'),
  /** Put message and tool bodies in spans (`gen_ai.input.messages`, tool arguments and results); off: sizes and ids only. */
  AOK_TRACE_CONTENT: z.stringbool().default(false),
  /** A worker-only process (`bun run worker`) serves its own Prometheus `/metrics` on this port (0: none). */
  METRICS_PORT: port.default(0),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

/** The validated configuration. */
export type Config = z.infer<typeof configSchema>;

/** Parses configuration from `env`, throwing a {@link KernelError} that names every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
  throw new KernelError('invalid_config', `Invalid configuration:\n${lines.join('\n')}`, {
    details: parsed.error.issues,
  });
}

/** A setting's name (one of the schema's keys). */
export type ConfigKey = keyof Config;

/** Every setting's name, in the schema's order. */
export const CONFIG_KEYS = Object.keys(configSchema.shape) as ConfigKey[];

/**
 * The settings that change without a restart, on every process of the cluster (read at use, or
 * re-applied when a new config version arrives); every other setting needs a restart to change.
 */
export const LIVE_KEYS: readonly ConfigKey[] = [
  'MODEL_PRICES',
  'LOG_LEVEL',
  'LLM_REQUESTS_PER_MINUTE',
  'LLM_TOKENS_PER_MINUTE',
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  // Budgets' defaults and tenant caps, read at each spawn, step or stream.
  'DEFAULT_MAX_TOTAL_TOKENS',
  'TENANT_MAX_LIVE_AGENTS',
  'TENANT_MAX_COST_USD_PER_DAY',
  'TENANT_MAX_EVENT_STREAMS',
  'AOS_RATE_LIMIT_PER_MINUTE',
  'MEMORY_WARN_RATIO',
  'MEMORY_FLUSH_RATIO',
  // Feature flags.
  'AOK_TRACE_CONTENT',
];

/** True for settings whose values are secrets (shown redacted, never logged). */
export function isSecretKey(key: string): boolean {
  return /(KEY|KEYS|SECRET|TOKEN|PASSWORD)$/.test(key) || key === 'DATABASE_URL';
}

/** Where a setting's value came from. */
export type ConfigSource = 'default' | 'file' | 'profile' | 'env' | 'cluster';

/** A config file's values as the schema reads them: strings (numbers and booleans written out, objects as JSON). */
export function toEnvStrings(values: Readonly<Record<string, unknown>>, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  const unknown = Object.keys(values).filter((k) => !(CONFIG_KEYS as string[]).includes(k));
  if (unknown.length) throw new KernelError('invalid_config', `${where}: unknown setting${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (the names are those of the environment variables)`);
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === null) continue;
    out[k] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

/**
 * The effective configuration from the schema's defaults, a config file's base values, its profile's
 * values, then the environment (a variable set to a non-empty value wins), with where each came from.
 */
export function resolveConfig(file: { base: Record<string, string>; profile: Record<string, string> }, env: Readonly<Record<string, string | undefined>>): { config: Config; strings: Record<string, string>; sources: Record<ConfigKey, ConfigSource> } {
  const fromEnv = Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== undefined && v !== '' && (CONFIG_KEYS as string[]).includes(k))) as Record<string, string>;
  const strings = { ...file.base, ...file.profile, ...fromEnv };
  // An empty variable counts as unset (the file's value, else the default, stands).
  const config = loadConfig({ ...env, ...strings });
  const sources = Object.fromEntries(CONFIG_KEYS.map((k) => [k, k in fromEnv ? 'env' : k in file.profile ? 'profile' : k in file.base ? 'file' : 'default'])) as Record<ConfigKey, ConfigSource>;
  return { config, strings, sources };
}
