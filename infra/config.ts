import os from 'node:os';
import path from 'node:path';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { TLSConfig } from '@temporalio/client';
import { z } from 'zod';
import { cronProblems } from '../domain/cron';

/**
 * Every setting the system reads from its environment, with its default. The README's
 * configuration table is this list; keep the two in step.
 */
const durationMs = z
  .string()
  .regex(/^\d+(ms|s|m|h)$/, 'a duration such as 500ms, 30s, 15m or 2h')
  .transform((v) => {
    const [, n, unit] = /^(\d+)(ms|s|m|h)$/.exec(v)!;
    return Number(n) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  });

/** FILE_AREAS: `domain=/abs/folder,/abs/other;domain2=/abs/x` (domains as in the API, absolute folders). */
function parseFileAreas(value: string, ctx: z.RefinementCtx): Record<string, string[]> {
  const areas: Record<string, string[]> = {};
  for (const entry of value.split(';').map((e) => e.trim()).filter(Boolean)) {
    const [domain, folders = ''] = entry.split('=', 2).map((s) => s.trim()) as [string, string?];
    const list = folders.split(',').map((f) => f.trim()).filter(Boolean);
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(domain) || !list.length || !list.every((f) => path.isAbsolute(f))) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not domain=/absolute/folder[,/another]; entries are separated by ;` });
      continue;
    }
    areas[domain] = [...(areas[domain] ?? []), ...list.map((f) => path.resolve(f))];
  }
  return areas;
}

const schema = z.object({
  DATA_DIR: z.string().default('data'),
  DATABASE_URL: z.string().optional(),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().default(5433),
  // The Temporal client settings, read by Temporal's own rules (temporalSettings() below): each
  // variable overrides the profile TEMPORAL_PROFILE (default "default") of the TOML file
  // TEMPORAL_CONFIG_FILE (default ~/.config/temporalio/temporal.toml). Unset address: a dev server.
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_TLS: z.enum(['true', 'false', '1', '0']).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: z.string().optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_CLIENT_CERT_DATA: z.string().optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().optional(),
  TEMPORAL_TLS_CLIENT_KEY_DATA: z.string().optional(),
  TEMPORAL_PROFILE: z.string().optional(),
  TEMPORAL_CONFIG_FILE: z.string().optional(),
  // How long a namespace created by `npm run temporal:setup` keeps closed workflows' histories.
  TEMPORAL_NAMESPACE_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
  // Payload encryption keys, "id:base64-of-32-bytes,...": the first encrypts, all decrypt (unset: plain).
  PAYLOAD_CODEC_KEYS: z.string().optional(),
  TEMPORAL_TASK_QUEUE: z.string().default('jobflow'),
  TEMPORAL_CLI_PATH: z.string().optional(),
  // Where the Temporal CLI release is downloaded from (the service the Temporal SDK uses), or a mirror.
  TEMPORAL_DOWNLOAD_URL: z.url().default('https://temporal.download'),
  TEMPORAL_PORT: z.coerce.number().int().default(7233),
  TEMPORAL_UI_PORT: z.coerce.number().int().default(8233),
  // `npm run temporal:cluster`: the first of its ten ports (frontend gRPC; metrics on the tenth).
  // Below 32758: the server stores membership ports as a PostgreSQL smallint.
  TEMPORAL_CLUSTER_PORT: z.coerce.number().int().min(1).max(32_758).default(7300),
  JOBFLOW_CACHE_DIR: z.string().optional(),
  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: z.coerce.number().int().default(3000),
  FILE_ROOTS: z.string().default('data/files'),
  // Folders granted to domains besides <root>/<domain>/: "acme=/srv/in/acme,/mnt/acme;beta=/srv/beta".
  FILE_AREAS: z.string().default('').transform((v, ctx) => parseFileAreas(v, ctx)),
  // A file read that gets no byte for this long fails the attempt (a hung network file system).
  FILE_READ_STALL_TIMEOUT: durationMs.prefault('60s'),
  RUN_RETRY_LIMIT: z.coerce.number().int().min(0).default(5),
  RUN_RETRY_INTERVAL: durationMs.prefault('15m'),
  MONTHLY_ROW_LIMIT: z.coerce.number().int().positive().default(10_000_000),
  // Retention (a system schedule, daily at RETENTION_CRON in UTC): runs, their log lines and their
  // rejected rows older than these many days are deleted, in batches; each job's last
  // RETENTION_KEEP_RUNS runs are always kept whole.
  RUN_RETENTION_DAYS: z.coerce.number().int().min(1).default(90),
  LOG_RETENTION_DAYS: z.coerce.number().int().min(1).default(90),
  REJECTED_ROWS_RETENTION_DAYS: z.coerce.number().int().min(1).default(90),
  RETENTION_KEEP_RUNS: z.coerce.number().int().min(1).default(10),
  RETENTION_CRON: z.string().default('17 3 * * *').superRefine((v, ctx) => {
    for (const p of cronProblems(v)) ctx.addIssue({ code: 'custom', message: p.message });
  }),
  RETENTION_BATCH_ROWS: z.coerce.number().int().min(10).default(5_000),
  // How late a job's scheduled time may still start a run (Temporal's catch-up window, and the
  // tick's wait for a worker); later, the time is recorded missed. Temporal's minimum is 10s.
  SCHEDULE_CATCHUP_WINDOW: durationMs.prefault('10m').refine((ms) => ms >= 10_000, 'at least 10s (Temporal\'s minimum catch-up window)'),
  // How often the missed-schedule reconciler (a system schedule) looks for scheduled times that got no run.
  MISSED_SCHEDULES_CHECK_INTERVAL: durationMs.prefault('5m').refine((ms) => ms >= 10_000, 'at least 10s'),
  // How long the API waits for a job workflow to answer a person's run-now, pause or reactivate
  // (a worker must take the request); after it, 503, and the request expires unapplied.
  RUN_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(5_000),
  // A job workflow continues-as-new once its history has this many events.
  JOB_HISTORY_LIMIT: z.coerce.number().int().min(50).default(5_000),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  // The worker's Prometheus endpoints: ours, and the Temporal SDK's own (0 turns one off), on
  // this host's address only (docker-compose sets 0.0.0.0 so Prometheus reaches them).
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).default(9464),
  TEMPORAL_METRICS_PORT: z.coerce.number().int().min(0).default(9465),
  // Report emails: an smtp:// or smtps:// URL (unset: no emails), and the sender.
  SMTP_URL: z.string().optional(),
  MAIL_FROM: z.string().default('jobflow <jobflow@localhost>'),
  // Links in reports: where administrators reach the API and operators Temporal Web.
  PUBLIC_API_URL: z.string().default('http://127.0.0.1:3000'),
  TEMPORAL_WEB_URL: z.string().default('http://127.0.0.1:8233'),
  // How long a browser signed in at /codec/signin may have Temporal Web's payloads decoded.
  CODEC_SESSION_TTL: durationMs.prefault('8h').refine((ms) => ms >= 60_000 && ms <= 7 * 24 * 3_600_000, 'between 1m and 168h'),
  // Express's `trust proxy` for the API (true, a hop count, or addresses/subnets); unset: off.
  TRUST_PROXY: z.string().optional(),
  SECRETS_KEY: z.string().optional(),
  EXPORT_ALLOWED_HOSTS: z.string().optional(),
  EXPORT_CA_FILE: z.string().optional(),
  EXPORT_WORK_DIR: z.string().optional(),
  EXPORT_HTTP_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  EXPORT_FTP_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  EXPORT_MAX_CHANGES_PER_RUN: z.coerce.number().int().positive().default(100_000),
  IMPORT_CHUNK_ROWS: z.coerce.number().int().positive().default(200_000),
  // `npm run demo` only: the API to call and the token to call it with (default: API_HOST:API_PORT, DATA_DIR/admin-token).
  API_URL: z.string().optional(),
  TOKEN: z.string().optional(),
});

/** Every environment variable the system reads (docker-compose.yml is checked against it). */
export const CONFIG_KEYS = Object.keys(schema.shape);

export type Config = ReturnType<typeof loadConfig>;

/**
 * The environment a child process gets: this one, with `extra` set. For spawning tools (go,
 * the Temporal CLI, a worker), never for reading a setting: settings come from loadConfig().
 */
export function environmentFor(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

/** Where and how to reach Temporal: what the client and the worker's connections are given. */
export interface TemporalSettings {
  /** Unset: no cluster configured (npm start and the tests start a dev server). */
  address?: string;
  namespace: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
  metadata?: Record<string, string>;
  /** PAYLOAD_CODEC_KEYS: every client and worker of this target encrypts payloads with them (undefined: plaintext). */
  payloadCodecKeys: string | undefined;
}

/**
 * The Temporal client settings as Temporal's CLI and SDKs read them (@temporalio/envconfig):
 * the TEMPORAL_* variables above over the TOML profile file, so one set of variables serves a
 * dev server, an mTLS cluster and Temporal Cloud (an API key turns TLS on).
 */
export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  let resolved: ReturnType<typeof loadClientConnectConfig>;
  try {
    resolved = loadClientConnectConfig({ overrideEnvVars: env as Record<string, string> });
  } catch (e) {
    throw new Error(`Invalid Temporal client settings (TEMPORAL_* variables or the TEMPORAL_CONFIG_FILE profile): ${(e as Error).message}`);
  }
  const { address, tls, apiKey, metadata } = resolved.connectionOptions;
  return {
    address,
    namespace: resolved.namespace ?? 'default',
    tls: tls ?? undefined,
    apiKey: typeof apiKey === 'string' ? apiKey : undefined,
    metadata: metadata as Record<string, string> | undefined, // envconfig gives strings only (TEMPORAL_GRPC_META_*)
    payloadCodecKeys: env.PAYLOAD_CODEC_KEYS || undefined,
  };
}

/**
 * Every setting, read once from `env` and checked: the entry points (worker, API, scripts) call
 * this and inject what each part needs; no other module reads the environment. Settings that
 * may be unset are present as keys (value undefined), so a slice that names one must be given it.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const temporal = temporalSettings(env);
  return {
    ...c,
    // Unset is a value too: listed here so the key is always present (see above).
    DATABASE_URL: c.DATABASE_URL,
    TEMPORAL_CLI_PATH: c.TEMPORAL_CLI_PATH,
    JOBFLOW_CACHE_DIR: c.JOBFLOW_CACHE_DIR,
    PAYLOAD_CODEC_KEYS: c.PAYLOAD_CODEC_KEYS,
    SMTP_URL: c.SMTP_URL,
    TRUST_PROXY: c.TRUST_PROXY,
    SECRETS_KEY: c.SECRETS_KEY,
    EXPORT_CA_FILE: c.EXPORT_CA_FILE,
    API_URL: c.API_URL,
    TOKEN: c.TOKEN,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    temporal,
    DATA_DIR: path.resolve(c.DATA_DIR),
    fileAreas: c.FILE_AREAS,
    fileRoots: c.FILE_ROOTS.split(path.delimiter).filter(Boolean).map((r) => path.resolve(r)),
    /** EXPORT_ALLOWED_HOSTS as a list (io/networkPolicy normalises each entry). */
    exportAllowedHosts: (c.EXPORT_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean),
    /** Where export spool files live until delivered. */
    exportWorkDir: path.resolve(c.EXPORT_WORK_DIR ?? path.join(os.tmpdir(), 'jobflow-export')),
    cacheDir: path.resolve(c.JOBFLOW_CACHE_DIR ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'jobflow')),
    /** Where `temporal` is looked for on PATH (infra/temporalCli). */
    searchPath: env.PATH ?? '',
  };
}
