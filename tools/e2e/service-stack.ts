import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Pool } from 'pg';
import { ensureChannelKeys } from '@paystream/shared/channel-protocols';
import { TOPICS, type OperatorRole } from '@paystream/contracts';
import { Actors, appendAudit } from '@paystream/shared/audit-log';
import { authorizationFor, bearer, bearerToken, deriveSecret, merchantKey, newCredentialId, parsePepper, secretSha256, type ClientCredential, type CredentialKind } from '@paystream/shared/auth';
import { Outbox, outboxNotifyChannel } from '@paystream/shared/outbox';
import { inTransaction, openDatabase } from '@paystream/shared/persistence';
import { SERVICES, type ServiceName } from '@paystream/shared/platform';
import { dropSchemas, freePort, grantTestAcls, TEST_CREDENTIAL_PEPPER, TEST_RATE_LIMIT_SCALE, testDatabaseUrl, testKafkaEnv, testRoleUrl, waitFor, type KafkaLogin } from '@paystream/shared/testing';
import { claimablePort, isHealthOf } from './replica-port';

/** The repository: the nearest folder up with a package.json (from tools/e2e, or compiled, from dist/tools/e2e). */
export const REPO_ROOT = (() => {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
})();

/**
 * Start order: the emulator first (the gateway and settlement call it), the merchant registry (its
 * events feed everyone's local copy of the merchants), order-payment, then ops watching them all.
 */
export const STACK_SERVICES = ['channel-emulator', 'merchant', 'risk', 'channel-gateway', 'settlement', 'order-payment', 'ops'] as const satisfies readonly ServiceName[];
export type StackService = (typeof STACK_SERVICES)[number];

/** How long a service may take to answer /health after it was spawned. */
const SERVICE_READY_TIMEOUT_MS = 60_000;

/** Connections a test holds open to one service's database (it reads and plants rows, nothing heavy). */
const QUERY_POOL_CONNECTIONS_MAX = 2;

/** Options of a stack beyond the e2e default (one process per service on the machine's Postgres and broker). */
export interface ServiceStackOptions {
  /** Processes per service (default 1): replicas share the consumer groups, the database schema and the topic prefix. */
  replicas?: Partial<Record<StackService, number>>;
  /** The URL of a service database (default: the test Postgres, PGHOST/PGPORT). */
  databaseUrl?: (database: string) => string;
  /**
   * A broker of the caller's own (a chaos run's cluster): its list and the secrets directory kafka.sh made for
   * it (each service logs in as its own principal; the caller puts the ACLs for the stack's topic prefix in
   * place), or no secrets directory for an anonymous plaintext one. Default: the test broker (KAFKA_BROKERS,
   * else 127.0.0.1:9092), each service as its own principal under the ownership ACLs, put in place for the
   * stack's topic prefix when it starts.
   */
  kafka?: KafkaLogin;
  /** Where logs and keys go (default .run/e2e/<schema>). */
  logDir?: string;
  /** How long a (re)started process may take to answer /health, in ms. */
  readyTimeoutMs?: number;
  /** Called when a process exits that the stack did not stop or kill (a supervisor restarts it). */
  onUnexpectedExit?: (service: StackService, replica: number, code: number | null, signal: NodeJS.Signals | null) => void;
}

/** One running process of a service. */
interface Instance {
  child: ChildProcess;
  /** The stack stopped or killed it on purpose (its exit is not a crash). */
  ending: boolean;
  paused: boolean;
}

/** What a service answered over HTTP: the status and the parsed JSON body. */
export type JsonResponse<T> = { status: number; body: T };
/** A JSON body as the specs read it: any fields, and the error code of a 4xx. */
export type JsonBody = Record<string, unknown> & { error?: { code: string } };
/** fetch's options, plus `json`: a body sent as JSON (POST unless a method is given), and `as`: who calls (default: see ServiceStack.json). */
export type JsonRequestInit = RequestInit & { json?: unknown; as?: ClientCredential | 'nobody' };

/** The merchant the stack signs as on merchant routes whose body names none. */
export const E2E_DEFAULT_MERCHANT = 'e2e-merchant';

// routes only a merchant may call (the rest of what the specs call is read or run by an operator)
const MERCHANT_ONLY = [/^POST \/payments(\?|$)/, /^POST \/payments\/[^/]+\/refunds/, /^POST \/cards/, /^POST \/identities/];

/**
 * The real services as separate OS processes (compiled dist/, as the demo runs them), on their own
 * ports, topic prefix and database schema, so a test can kill and restart them.
 */
export class ServiceStack {
  /** The port of each service's first replica (the only one unless replicas were asked for). */
  readonly ports = {} as Record<StackService, number>;
  /** The ports of every replica of each service. */
  readonly replicaPorts = {} as Record<StackService, number[]>;
  private readonly processes = new Map<string, Instance>();
  private readonly pools = new Map<StackService, Pool>();
  private readonly logDir: string;
  /** Keys of its own, so Alipay speaks Open API v2 between these processes. */
  readonly keysDir: string;
  /** An operator with every role, a monitoring token, and settlement's service credential (issued before the services start). */
  operator!: ClientCredential;
  monitoring!: ClientCredential;
  private settlementCredentialId = '';
  private readonly merchantKeys = new Map<string, ClientCredential>();
  private readonly issuedIds: string[] = [];

  constructor(
    readonly topicPrefix: string,
    readonly schema: string,
    private readonly extraEnv: Record<string, string> = {},
    private readonly options: ServiceStackOptions = {},
  ) {
    this.logDir = options.logDir ?? join(REPO_ROOT, '.run', 'e2e', schema);
    this.keysDir = join(this.logDir, 'keys');
  }

  /** The file holding the stack's monitoring token (ops and Prometheus read /metrics with it). */
  get monitoringTokenFile(): string {
    return join(this.logDir, 'monitoring-token');
  }

  url(service: StackService, replica = 0): string {
    return `http://127.0.0.1:${this.replicaPorts[service]?.[replica] ?? this.ports[service]}`;
  }

  /** How many processes the service runs as. */
  replicaCount(service: StackService): number {
    return this.options.replicas?.[service] ?? 1;
  }

  /** Where a service's stdout and stderr (its JSON log lines) go; a second replica's as `<service>-1.log`. */
  logFile(service: StackService, replica = 0): string {
    return join(this.logDir, replica === 0 ? `${service}.log` : `${service}-${replica}.log`);
  }

  /** The URL the test itself reads and plants rows with (the superuser; the services connect as their roles: databaseEnv). */
  databaseUrl(service: StackService): string {
    const database = SERVICES[service].database;
    return this.options.databaseUrl && database ? this.options.databaseUrl(database) : testDatabaseUrl(database);
  }

  /** Runs SQL in a service's database, in the stack's schema (a small pool per service, ended by dispose). */
  async query<R = Record<string, unknown>>(service: StackService, text: string, params: unknown[] = []): Promise<R[]> {
    return (await this.poolOf(service).query(text, params)).rows as R[];
  }

  private poolOf(service: StackService): Pool {
    let pool = this.pools.get(service);
    if (!pool) {
      if (!SERVICES[service].database) throw new Error(`${service} has no database`);
      pool = new Pool({ connectionString: this.databaseUrl(service), max: QUERY_POOL_CONNECTIONS_MAX, options: `-c search_path=${this.schema}` });
      // an idle connection cut by the server (a restart, a chaos run's cut) is dropped; the next query opens another
      pool.on('error', () => undefined);
      this.pools.set(service, pool);
    }
    return pool;
  }

  /**
   * Calls a service's HTTP API and parses the JSON it answers; `init.json` is sent as a JSON body.
   * Authenticated as `init.as`, else: nobody at the emulator, a merchant's signature on the
   * merchant-only routes (the merchant the body names, or a refund's payment's, else E2E_DEFAULT_MERCHANT), the monitoring
   * token on /metrics, the all-roles operator elsewhere.
   */
  async json<T = JsonBody>(service: StackService, path: string, init: JsonRequestInit = {}): Promise<JsonResponse<T>> {
    const { json, as, ...request } = init;
    const headers = new Headers(request.headers);
    if (json !== undefined) {
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      Object.assign(request, { method: request.method ?? 'POST', body: JSON.stringify(json) });
    }
    const method = (request.method ?? 'GET').toUpperCase();
    const credential = as ?? (await this.defaultCredential(service, method, path, json));
    if (credential !== 'nobody' && credential !== undefined && !headers.has('authorization')) {
      headers.set('authorization', authorizationFor(credential, method, path, typeof request.body === 'string' ? request.body : ''));
    }
    request.headers = headers;
    const res = await fetch(`${this.url(service)}${path}`, request);
    return { status: res.status, body: (await res.json()) as T };
  }

  /**
   * Onboards a merchant in the merchant service (POST /merchants: real time, 0.60 % and a payout
   * account unless `terms` says otherwise) and waits until order-payment and settlement have it in
   * their copies, so its first payment is not refused as MERCHANT_UNKNOWN.
   */
  async onboardMerchant(merchantId: string, terms: Record<string, unknown> = {}): Promise<JsonBody> {
    const digits = [...merchantId].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1_000_000_000, 7).toString().padStart(9, '0');
    const body = {
      merchantId,
      legalName: `${merchantId} Ltd`,
      contact: { name: 'E2E Contact', email: 'finance@merchant.example' },
      terms: { schedule: 'realtime', feePlan: { rateBps: 60 }, payoutAccount: { bankCode: '102100099996', accountNo: `6222020${digits}`, accountName: `${merchantId} Ltd` }, ...terms },
    };
    const res = await this.json('merchant', '/merchants', { json: body, headers: { 'idempotency-key': `onboard-${merchantId}` } });
    if (res.status !== 201) throw new Error(`onboarding ${merchantId} answered ${res.status}: ${JSON.stringify(res.body)}`);
    await waitFor(
      async () => {
        const [op, stl] = await Promise.all([this.json('order-payment', `/merchants/${merchantId}`), this.json('settlement', `/merchants/${merchantId}/settlement-terms`)]);
        return op.status === 200 && stl.status === 200 ? true : undefined;
      },
      30_000,
      `${merchantId} in order-payment's and settlement's copies`,
    );
    return res.body;
  }

  async start(): Promise<void> {
    if (!existsSync(join(REPO_ROOT, 'dist', 'apps', 'order-payment', 'src', 'main.js'))) {
      throw new Error('dist/ is missing: the e2e spec runs the compiled services; run `npm run build` (npm test does)');
    }
    mkdirSync(this.logDir, { recursive: true });
    ensureChannelKeys(this.keysDir);
    if (this.options.kafka === undefined) await grantTestAcls(this.topicPrefix);
    // the ids of the first credentials are known before the services start (settlement is told its own)
    const operatorId = newCredentialId({ kind: 'operator-token' });
    const monitoringId = newCredentialId({ kind: 'service-token', service: 'monitoring' });
    this.settlementCredentialId = newCredentialId({ kind: 'service-token', service: 'settlement' });
    const secretOf = (id: string) => deriveSecret(parsePepper(TEST_CREDENTIAL_PEPPER), id);
    this.operator = bearer(operatorId, secretOf(operatorId));
    this.monitoring = bearer(monitoringId, secretOf(monitoringId));
    writeFileSync(this.monitoringTokenFile, bearerToken(monitoringId, secretOf(monitoringId)), { mode: 0o600 });
    for (const s of STACK_SERVICES) {
      this.replicaPorts[s] = [];
      for (let r = 0; r < this.replicaCount(s); r++) this.replicaPorts[s].push(await freePort());
      this.ports[s] = this.replicaPorts[s][0]!;
    }
    // the first replicas first: they run the migrations, which two processes must not run at once
    for (const s of STACK_SERVICES) await this.claimPort(s, 0);
    for (const s of STACK_SERVICES) this.spawn(s, 0);
    for (const s of STACK_SERVICES) await this.waitReady(s, 0);
    for (const s of STACK_SERVICES) for (let r = 1; r < this.replicaCount(s); r++) await this.claimPort(s, r);
    for (const s of STACK_SERVICES) for (let r = 1; r < this.replicaCount(s); r++) this.spawn(s, r);
    for (const s of STACK_SERVICES) for (let r = 1; r < this.replicaCount(s); r++) await this.waitReady(s, r);
    // then bootstrapped in the merchant database as setup's `npm run admin` does; every later credential goes through the merchant API
    await this.bootstrapCredential(operatorId, 'operator-token', 'e2e-operator', ['finance', 'risk', 'sre', 'admin']);
    await this.bootstrapCredential(monitoringId, 'service-token', 'monitoring');
    await this.bootstrapCredential(this.settlementCredentialId, 'service-token', 'settlement');
    await this.waitForCredentials();
  }

  /**
   * A live key of the merchant (onboarded with default terms first when no one onboarded it yet),
   * known to every service before it is returned.
   */
  async merchantKey(merchantId: string = E2E_DEFAULT_MERCHANT): Promise<ClientCredential> {
    const known = this.merchantKeys.get(merchantId);
    if (known) return known;
    const path = `/merchants/${encodeURIComponent(merchantId)}/keys`;
    const issueKey = () => this.json<{ credentialId: string; secret: string }>('merchant', path, { json: { mode: 'live' }, headers: { 'idempotency-key': `e2e-key-${merchantId}-${randomUUID()}` }, as: this.operator });
    let issued = await issueKey();
    if (issued.status === 404) {
      const onboarding = await this.json('merchant', '/merchants', {
        as: this.operator,
        headers: { 'idempotency-key': `e2e:onboard:${merchantId}` },
        json: {
          merchantId,
          legalName: `${merchantId} Ltd`,
          contact: { name: 'E2E', email: 'e2e@paystream.example' },
          terms: { schedule: 't_plus_n', nDays: 1, feePlan: { rateBps: 60 }, payoutAccount: { bankCode: '102100099996', accountNo: '6222020000000000001', accountName: `${merchantId} Ltd` } },
        },
      });
      if (onboarding.status !== 201) throw new Error(`onboarding ${merchantId}: ${onboarding.status} ${JSON.stringify(onboarding.body)}`);
      issued = await issueKey();
    }
    if (issued.status !== 201) throw new Error(`a key for ${merchantId}: ${issued.status} ${JSON.stringify(issued.body)}`);
    this.issuedIds.push(issued.body.credentialId);
    const credential = merchantKey(issued.body.credentialId, issued.body.secret);
    await this.waitForCredentials();
    this.merchantKeys.set(merchantId, credential);
    return credential;
  }

  /** An operator token with these roles, known to every service before it is returned. */
  async issueOperator(operatorId: string, roles: readonly string[]): Promise<string> {
    const answer = await this.json<{ credentialId: string; token: string }>('merchant', '/operators', { json: { operatorId, roles }, headers: { 'idempotency-key': `e2e-operator-${operatorId}-${randomUUID()}` }, as: this.operator });
    if (answer.status !== 201) throw new Error(`operator ${operatorId}: ${answer.status} ${JSON.stringify(answer.body)}`);
    this.issuedIds.push(answer.body.credentialId);
    await this.waitForCredentials();
    return answer.body.token;
  }

  private async defaultCredential(service: StackService, method: string, path: string, json: unknown): Promise<ClientCredential | 'nobody'> {
    if (service === 'channel-emulator') return 'nobody';
    if (path.startsWith('/metrics')) return this.monitoring;
    if (MERCHANT_ONLY.some((r) => r.test(`${method} ${path}`))) {
      const named = json !== null && typeof json === 'object' && typeof (json as { merchantId?: unknown }).merchantId === 'string' ? (json as { merchantId: string }).merchantId : undefined;
      return this.merchantKey(named ?? (await this.paymentMerchant(service, path)) ?? E2E_DEFAULT_MERCHANT);
    }
    return this.operator;
  }

  /** A refund is the payment's merchant's to ask for: the merchant of the payment the path names (order-payment's own row). */
  private async paymentMerchant(service: StackService, path: string): Promise<string | undefined> {
    const paymentId = service === 'order-payment' ? /^\/payments\/([0-9a-f-]{36})\/refunds/.exec(path)?.[1] : undefined;
    if (!paymentId) return undefined;
    return (await this.query<{ merchant_id: string }>('order-payment', `SELECT merchant_id FROM payment WHERE id = $1`, [paymentId]))[0]?.merchant_id;
  }

  /**
   * A first credential written straight into the merchant database, as `npm run admin` does in setup:
   * the credential row (sha256 of the derived secret only), its credential.issued.v1 outbox row and an
   * audit row in one transaction; the merchant service relays the event to every service.
   */
  private async bootstrapCredential(credentialId: string, kind: CredentialKind, principalId: string, roles: OperatorRole[] = []): Promise<void> {
    // the merchant service migrated its schema already: no migrations here
    const ds = await openDatabase({ url: this.databaseUrl('merchant'), schema: this.schema, migrations: [], poolSize: 1, applicationName: 'paystream-e2e-setup' });
    try {
      await inTransaction(ds, async (tx) => {
        if (kind === 'operator-token') await tx.query(`INSERT INTO operator (operator_id, display_name, roles, created_by) VALUES ($1, $1, $2, 'system:setup') ON CONFLICT DO NOTHING`, [principalId, roles]);
        const now = new Date();
        await tx.query(`INSERT INTO credential (credential_id, kind, principal_id, roles, secret_sha256, not_before, issued_by, issued_at) VALUES ($1, $2, $3, $4, $5, $6, 'system:setup', $6)`, [
          credentialId, kind, principalId, roles, secretSha256(deriveSecret(parsePepper(TEST_CREDENTIAL_PEPPER), credentialId)), now,
        ]);
        await new Outbox('/paystream/merchant', outboxNotifyChannel(this.schema)).enqueue(tx, TOPICS.credentialIssued, {
          credentialId, kind, principalId, ...(kind === 'operator-token' ? { roles } : {}), notBefore: now.toISOString(), expiresAt: null, issuedAt: now.toISOString(),
        });
        await appendAudit(tx, { actor: Actors.system('setup'), action: 'credential.issued', subject: `credential:${credentialId}`, details: { kind, principalId, roles } });
      });
      this.issuedIds.push(credentialId);
    } finally {
      await ds.destroy();
    }
  }

  /** Waits until every service with a database (ops too) has every credential issued so far in its copy. */
  private async waitForCredentials(): Promise<void> {
    const ids = [...this.issuedIds];
    for (const s of STACK_SERVICES) {
      if (!SERVICES[s].database || !this.isRunning(s, 0)) continue;
      await waitFor(
        async () => ((await this.query<{ n: number }>(s, `SELECT count(*)::int AS n FROM credential_copy WHERE credential_id = ANY($1)`, [ids]))[0]!.n === ids.length ? true : undefined),
        30_000,
        `${s} to know the stack's credentials`,
        200,
      );
    }
  }

  /** Kills a service (a replica of it) the hard way (no shutdown hooks run), as a crash or an OOM kill would. */
  async kill(service: StackService, signal: NodeJS.Signals = 'SIGKILL', replica = 0): Promise<void> {
    const key = instanceKey(service, replica);
    const instance = this.processes.get(key);
    if (!instance || !isAlive(instance.child)) return;
    instance.ending = true;
    const exited = new Promise((r) => instance.child.once('exit', r));
    instance.child.kill(signal);
    // a stopped process takes no signal but SIGKILL until it runs again
    if (instance.paused && signal !== 'SIGKILL') instance.child.kill('SIGCONT');
    await exited;
    this.processes.delete(key);
  }

  async restart(service: StackService, replica = 0): Promise<void> {
    await this.kill(service, 'SIGKILL', replica);
    await this.startReplica(service, replica);
  }

  /** Starts a replica that is not running (after a crash or a kill) and waits until it answers /health. */
  async startReplica(service: StackService, replica: number): Promise<void> {
    if (this.isRunning(service, replica)) return;
    await this.claimPort(service, replica);
    this.spawn(service, replica);
    await this.waitReady(service, replica);
  }

  /** The OS pid of a running replica (the service itself: run-dist loads it in the spawned node), for a bench's CPU readings. */
  pid(service: StackService, replica = 0): number | undefined {
    const instance = this.processes.get(instanceKey(service, replica));
    return instance && isAlive(instance.child) ? instance.child.pid : undefined;
  }

  /** Whether a replica's process is alive (running or stopped). */
  isRunning(service: StackService, replica = 0): boolean {
    const instance = this.processes.get(instanceKey(service, replica));
    return !!instance && isAlive(instance.child);
  }

  /** SIGSTOP a replica: it keeps its sockets and its group membership but answers nothing, as a long GC pause would. */
  pause(service: StackService, replica = 0): void {
    const instance = this.processes.get(instanceKey(service, replica));
    if (!instance || !isAlive(instance.child) || instance.paused) return;
    instance.child.kill('SIGSTOP');
    instance.paused = true;
  }

  /** SIGCONT a paused replica. */
  resume(service: StackService, replica = 0): void {
    const instance = this.processes.get(instanceKey(service, replica));
    if (!instance || !isAlive(instance.child) || !instance.paused) return;
    instance.child.kill('SIGCONT');
    instance.paused = false;
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.processes.values()].map(async (instance) => {
        const child = instance.child;
        if (!isAlive(child)) return;
        instance.ending = true;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        if (instance.paused) child.kill('SIGCONT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    this.processes.clear();
  }

  /** The end of a test: stops the processes, ends the query pools and drops the stack's schema in every service database. */
  async dispose(): Promise<void> {
    await this.stop();
    await Promise.all([...this.pools.values()].map((pool) => pool.end()));
    this.pools.clear();
    for (const s of STACK_SERVICES) {
      if (SERVICES[s].database) await dropSchemas(this.databaseUrl(s), [this.schema]).catch(() => undefined);
    }
  }

  /**
   * Moves a replica to a fresh port when another process took its own (see replica-port.ts); the
   * services started before keep the old address in their configuration (ops shows the replica down).
   */
  private async claimPort(service: StackService, replica: number): Promise<void> {
    const current = this.replicaPorts[service][replica]!;
    const port = await claimablePort(current);
    if (port === current) return;
    this.replicaPorts[service][replica] = port;
    if (replica === 0) this.ports[service] = port;
  }

  /**
   * How a service reaches its database: as a deployment's roles (infra/postgres/setup.sh), migrating the stack's
   * schema as the owner role and running as the runtime role; on the caller's own Postgres (a chaos run's), its URL.
   */
  private databaseEnv(service: StackService): Record<string, string> {
    const { database, envPrefix } = SERVICES[service];
    if (!database) return {};
    if (this.options.databaseUrl) return { [`${envPrefix}_DATABASE_URL`]: this.databaseUrl(service) };
    return { [`${envPrefix}_DATABASE_URL`]: testRoleUrl(database, 'app'), [`${envPrefix}_MIGRATION_DATABASE_URL`]: testRoleUrl(database, 'owner') };
  }

  /** How a service reaches the broker (the caller's own, else the test broker): as its own principal (the emulator uses no Kafka). */
  private kafkaEnv(service: StackService): Record<string, string> {
    return service === 'channel-emulator' ? {} : testKafkaEnv(service, this.options.kafka);
  }

  private spawn(service: StackService, replica: number): void {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      ...this.kafkaEnv(service),
      KAFKA_TOPIC_PREFIX: this.topicPrefix,
      KAFKA_PARTITIONS: '3',
      DB_SCHEMA: this.schema,
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info',
      CHANNEL_EMULATOR_URL: this.url('channel-emulator'),
      CHANNEL_KEYS_DIR: this.keysDir,
      // ops reads the cluster every second here, so a test sees a stall within seconds of its cause
      OPS_POLL_INTERVAL_MS: '1000',
      CREDENTIAL_PEPPER: TEST_CREDENTIAL_PEPPER,
      SETTLEMENT_SERVICE_CREDENTIAL_ID: this.settlementCredentialId,
      OPS_MONITORING_TOKEN_FILE: this.monitoringTokenFile,
      // the specs, the chaos run and the load driver send far more per key and per address than a client may
      RATE_LIMIT_SCALE: String(TEST_RATE_LIMIT_SCALE),
      ...this.extraEnv,
    };
    for (const s of STACK_SERVICES) env[`${SERVICES[s].envPrefix}_PORT`] = String(this.ports[s]);
    const { database, envPrefix } = SERVICES[service];
    env[`${envPrefix}_PORT`] = String(this.replicaPorts[service][replica]);
    if (database) Object.assign(env, this.databaseEnv(service));
    const log = createWriteStream(this.logFile(service, replica), { flags: 'a' });
    const child = spawn(process.execPath, [join(REPO_ROOT, 'tools', 'run-dist.js'), `dist/apps/${service}/src/main.js`], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const instance: Instance = { child, ending: false, paused: false };
    child.once('exit', (code, signal) => {
      if (!instance.ending) this.options.onUnexpectedExit?.(service, replica, code, signal);
    });
    this.processes.set(instanceKey(service, replica), instance);
  }

  private async waitReady(service: StackService, replica = 0): Promise<void> {
    const logFile = this.logFile(service, replica);
    await waitFor(
      async () => {
        const child = this.processes.get(instanceKey(service, replica))?.child;
        if (!child || !isAlive(child)) throw new Error(`${service}#${replica} exited with ${child?.exitCode}; see ${logFile}`);
        const res = await fetch(`${this.url(service, replica)}/health`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
        // the replica's own answer: a process that took its port answers too
        return res && isHealthOf(service, res.status, await res.json().catch(() => undefined)) ? true : undefined;
      },
      this.options.readyTimeoutMs ?? SERVICE_READY_TIMEOUT_MS,
      `${service}#${replica} to be ready (log: ${logFile})`,
      200,
    );
  }
}

function instanceKey(service: StackService, replica: number): string {
  return `${service}#${replica}`;
}

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}
