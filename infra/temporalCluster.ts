import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { environmentFor } from './config';
import { spawnServer, stopServer } from './childProcesses';
import { ensureClusterCerts, type ClusterCerts } from './clusterCerts';
import { describePortHolder } from './portHolder';
import { createDatabaseIfMissing, recreateDatabase, withDatabase } from './postgres';
import { portAnswers, waitForPort } from './ports';
import { SCHEMA_DIRS, SQL_PLUGIN, type ServerBinaries } from './temporalServerBuild';

/**
 * `npm run temporal:cluster` and the cluster tests: the real Temporal server (built by
 * infra/temporalServerBuild.ts) on PostgreSQL, with its own databases for persistence and
 * visibility (schemas set up and upgraded with its SQL tool from the module's schema folders),
 * the dynamic config docker-compose mounts, mTLS on the frontend (infra/clusterCerts.ts) and
 * its Prometheus endpoint. All services run in one process; inside it (membership, history,
 * matching) they talk plaintext on loopback.
 */

type Log = (line: string) => void;

/** The dynamic config both this server and docker-compose's read (schedules at scale). */
export const DYNAMIC_CONFIG_FILE = path.resolve(__dirname, '../deploy/temporal-dynamic-config.yaml');

export interface ClusterPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  frontendMembership: number;
  historyMembership: number;
  matchingMembership: number;
  workerMembership: number;
  metrics: number;
}

const PORT_NAMES: (keyof ClusterPorts)[] = [
  'frontend', 'frontendHttp', 'history', 'matching', 'worker',
  'frontendMembership', 'historyMembership', 'matchingMembership', 'workerMembership', 'metrics',
];

/** Ten consecutive ports from `first` (TEMPORAL_CLUSTER_PORT, below 32758): the frontend first, metrics last. */
export function portBlock(first: number): ClusterPorts {
  return Object.fromEntries(PORT_NAMES.map((name, i) => [name, first + i])) as unknown as ClusterPorts;
}

/** True when `port` on 127.0.0.1 can be bound now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A block of ten ports free a moment ago, for tests that must not meet a running
 * `npm run temporal:cluster`. Below 32768: the server keeps membership ports in a smallint
 * column, so an ephemeral port (what the system hands out for port 0) breaks its start.
 */
export async function freeClusterPorts(): Promise<ClusterPorts> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = 20_000 + 10 * Math.floor(Math.random() * 1_200);
    const ports = Object.values(portBlock(first));
    if ((await Promise.all(ports.map(bindable))).every(Boolean)) return portBlock(first);
  }
  throw new Error('No block of ten free ports between 20000 and 32000.');
}

export interface ClusterOptions {
  binaries: ServerBinaries;
  /** Certificates, the server's config and its log. */
  stateDir: string;
  /** A PostgreSQL URL whose user may create databases (its database part is ignored). */
  postgresUrl: string;
  databases: { persistence: string; visibility: string };
  ports: ClusterPorts;
  /** Drop and recreate the databases first (tests). */
  fresh?: boolean;
  log?: Log;
}

export interface TemporalCluster {
  /** host:port of the mTLS frontend. */
  address: string;
  /** The server's Prometheus endpoint (its `action` counter among the rest). */
  metricsUrl: string;
  certs: ClusterCerts;
  /** Where the server writes its log (warnings and errors). */
  logFile: string;
  /** The standard client settings (envconfig variables) that reach this frontend with mTLS. */
  clientEnv: Record<string, string>;
  pid(): number | undefined;
  /** Stops the server process (SIGTERM, then SIGKILL after 20 s); its data stays. */
  stop(): Promise<void>;
  /** Starts it again after stop(), on the same databases and ports. */
  start(): Promise<void>;
}

const run = promisify(execFile);

/** Creates (or recreates) the two databases and brings their schemas to this version's, with the SQL tool. */
async function prepareDatabases(opts: ClusterOptions, log: Log): Promise<void> {
  const pg = new URL(opts.postgresUrl);
  const admin = withDatabase(opts.postgresUrl, 'postgres');
  for (const [kind, database] of Object.entries(opts.databases) as [keyof typeof SCHEMA_DIRS, string][]) {
    await (opts.fresh ? recreateDatabase(admin, database) : createDatabaseIfMissing(admin, database));
    const base = ['--plugin', SQL_PLUGIN, '--endpoint', pg.hostname, '--port', pg.port || '5432',
      '--user', decodeURIComponent(pg.username), '--database', database];
    // The tool reads the password from its environment: it stays out of the process list.
    const env = environmentFor({ SQL_PASSWORD: decodeURIComponent(pg.password) });
    try {
      // Version tables (0.0; a database already set up is left as it is), then every versioned step up to this server's.
      await run(opts.binaries.sqlTool, [...base, 'setup-schema', '-v', '0.0'], { env });
      await run(opts.binaries.sqlTool, [...base, 'update-schema', '-d', path.join(opts.binaries.moduleDir, SCHEMA_DIRS[kind])], { env });
    } catch (e) {
      const err = e as Error & { stderr?: string; stdout?: string };
      throw new Error(`Setting up the ${kind} schema in database ${database} failed: ${(err.stderr || err.stdout || err.message).trim().split('\n').slice(-5).join('\n')}`);
    }
    log(`Temporal ${kind} database ${database}: schema up to date.`);
  }
}

/** The server's static config (JSON, which is YAML too), with TLS, metrics and the shared dynamic config. */
function serverConfig(opts: ClusterOptions, certs: ClusterCerts, logFile: string) {
  const pg = new URL(opts.postgresUrl);
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: SQL_PLUGIN, databaseName, connectAddr: `${pg.hostname}:${pg.port || '5432'}`, connectProtocol: 'tcp',
      user: decodeURIComponent(pg.username), password: decodeURIComponent(pg.password), maxConns, maxIdleConns: maxConns, maxConnLifetime: '1h',
    },
  });
  const p = opts.ports;
  const rpc = (grpcPort: number, membershipPort: number, httpPort?: number) => ({ rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...(httpPort ? { httpPort } : {}) } });
  const verifyFrontend = { serverName: certs.serverName, rootCaFiles: [certs.ca] };
  return {
    log: { stdout: false, level: 'warn', outputFile: logFile },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: 4,
      datastores: { default: store(opts.databases.persistence, 20), visibility: store(opts.databases.visibility, 10) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      pprof: { port: 0 },
      tls: {
        // Clients must present a certificate from our CA; the server's own system worker (Schedules
        // run there) is a client like the others.
        frontend: {
          server: { certFile: certs.serverCert, keyFile: certs.serverKey, requireClientAuth: true, clientCaFiles: [certs.ca] },
          client: verifyFrontend,
        },
        systemWorker: { certFile: certs.clientCert, keyFile: certs.clientKey, client: verifyFrontend },
      },
      metrics: { prometheus: { timerType: 'histogram', listenAddress: `127.0.0.1:${p.metrics}` } },
    },
    services: {
      frontend: rpc(p.frontend, p.frontendMembership, p.frontendHttp),
      history: rpc(p.history, p.historyMembership),
      matching: rpc(p.matching, p.matchingMembership),
      worker: rpc(p.worker, p.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${p.frontend}`, httpAddress: `127.0.0.1:${p.frontendHttp}` },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: DYNAMIC_CONFIG_FILE, pollInterval: '10s' },
  };
}

/** Refuses a port another process holds: naming it beats a server that dies with "address in use". */
async function refuseTakenPorts(ports: ClusterPorts): Promise<void> {
  for (const [name, port] of Object.entries(ports)) {
    if (await portAnswers(port)) {
      throw new Error(`Port ${port} (the cluster's ${name}) is already taken, by ${describePortHolder(port)}. Stop it, or choose another block with TEMPORAL_CLUSTER_PORT.`);
    }
  }
}

/**
 * Prepares (certificates, databases, schemas, config) and starts the server; resolves once its
 * frontend and metrics endpoint answer. The caller then sets the namespace up (temporal/setup.ts).
 */
export async function startCluster(opts: ClusterOptions): Promise<TemporalCluster> {
  const log = opts.log ?? ((l) => console.error(l));
  const certs = ensureClusterCerts(path.join(opts.stateDir, 'tls'));
  await prepareDatabases(opts, log);
  const configDir = path.join(opts.stateDir, 'config');
  fs.mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const logFile = path.join(opts.stateDir, 'temporal-server.log');
  // The config holds the database password: 0600.
  fs.writeFileSync(path.join(configDir, 'cluster.yaml'), JSON.stringify(serverConfig(opts, certs, logFile), null, 2), { mode: 0o600 });

  let child: ChildProcess | undefined;
  const launch = async () => {
    await refuseTakenPorts(opts.ports);
    const started = spawnServer(opts.binaries.server, ['--root', opts.stateDir, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start'], {
      stdio: ['ignore', 'ignore', 'pipe'], stopSignal: 'SIGTERM',
    });
    child = started;
    let stderr = '';
    started.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    const exited = new Promise<never>((_, reject) =>
      started.once('exit', (code) => reject(new Error(`The Temporal server exited with code ${code}: ${stderr.trim() || `see ${logFile}`}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForPort('127.0.0.1', opts.ports.frontend, 120_000), exited]);
    await Promise.race([waitForPort('127.0.0.1', opts.ports.metrics, 30_000), exited]);
    // A server that fails to join its own membership exits just after its ports open.
    await Promise.race([new Promise((r) => setTimeout(r, 1_000)), exited]);
  };
  await launch();
  return {
    address: `127.0.0.1:${opts.ports.frontend}`,
    metricsUrl: `http://127.0.0.1:${opts.ports.metrics}/metrics`,
    certs,
    logFile,
    clientEnv: {
      TEMPORAL_ADDRESS: `127.0.0.1:${opts.ports.frontend}`,
      TEMPORAL_TLS: 'true',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca,
      TEMPORAL_TLS_SERVER_NAME: certs.serverName,
      TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
    },
    pid: () => child?.pid,
    stop: async () => {
      if (child) await stopServer(child, 20_000);
    },
    start: launch,
  };
}
