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
import { dropSchemas, freePort, TEST_CREDENTIAL_PEPPER, testDatabaseUrl, waitFor } from '@paystream/shared/testing';

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
  readonly ports = {} as Record<StackService, number>;
  private readonly processes = new Map<StackService, ChildProcess>();
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
  ) {
    this.logDir = join(REPO_ROOT, '.run', 'e2e', schema);
    this.keysDir = join(this.logDir, 'keys');
  }

  url(service: StackService): string {
    return `http://127.0.0.1:${this.ports[service]}`;
  }

  /** Where a service's stdout and stderr (its JSON log lines) go. */
  logFile(service: StackService): string {
    return join(this.logDir, `${service}.log`);
  }

  databaseUrl(service: StackService): string {
    return testDatabaseUrl(SERVICES[service].database);
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
      this.pools.set(service, pool);
    }
    return pool;
  }

  /**
   * Calls a service's HTTP API and parses the JSON it answers; `init.json` is sent as a JSON body.
   * Authenticated as `init.as`, else: nobody at the emulator, a merchant's signature on the
   * merchant-only routes (the merchant the body names, else E2E_DEFAULT_MERCHANT), the monitoring
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

  async start(): Promise<void> {
    if (!existsSync(join(REPO_ROOT, 'dist', 'apps', 'order-payment', 'src', 'main.js'))) {
      throw new Error('dist/ is missing: the e2e spec runs the compiled services; run `npm run build` (npm test does)');
    }
    mkdirSync(this.logDir, { recursive: true });
    ensureChannelKeys(this.keysDir);
    // the ids of the first credentials are known before the services start (settlement is told its own)
    const operatorId = newCredentialId({ kind: 'operator-token' });
    const monitoringId = newCredentialId({ kind: 'service-token', service: 'monitoring' });
    this.settlementCredentialId = newCredentialId({ kind: 'service-token', service: 'settlement' });
    const secretOf = (id: string) => deriveSecret(parsePepper(TEST_CREDENTIAL_PEPPER), id);
    this.operator = bearer(operatorId, secretOf(operatorId));
    this.monitoring = bearer(monitoringId, secretOf(monitoringId));
    writeFileSync(join(this.logDir, 'monitoring-token'), bearerToken(monitoringId, secretOf(monitoringId)), { mode: 0o600 });
    for (const s of STACK_SERVICES) this.ports[s] = await freePort();
    for (const s of STACK_SERVICES) this.spawn(s);
    for (const s of STACK_SERVICES) await this.waitReady(s);
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
    let issued = await this.json<{ credentialId: string; secret: string }>('merchant', path, { json: { mode: 'live' }, as: this.operator });
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
      issued = await this.json<{ credentialId: string; secret: string }>('merchant', path, { json: { mode: 'live' }, as: this.operator });
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
    const answer = await this.json<{ credentialId: string; token: string }>('merchant', '/operators', { json: { operatorId, roles }, as: this.operator });
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
      return this.merchantKey(named ?? E2E_DEFAULT_MERCHANT);
    }
    return this.operator;
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

  /** Waits until every service with a database has every credential issued so far in its copy. */
  private async waitForCredentials(): Promise<void> {
    const ids = [...this.issuedIds];
    for (const s of STACK_SERVICES) {
      if (!SERVICES[s].database || s === 'ops' || !this.processes.has(s)) continue;
      await waitFor(
        async () => ((await this.query<{ n: number }>(s, `SELECT count(*)::int AS n FROM credential_copy WHERE credential_id = ANY($1)`, [ids]))[0]!.n === ids.length ? true : undefined),
        30_000,
        `${s} to know the stack's credentials`,
        200,
      );
    }
  }

  /** Kills a service the hard way (no shutdown hooks run), as a crash or an OOM kill would. */
  async kill(service: StackService, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.processes.get(service);
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
    this.processes.delete(service);
  }

  async restart(service: StackService): Promise<void> {
    await this.kill(service, 'SIGKILL');
    this.spawn(service);
    await this.waitReady(service);
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.processes.keys()].map(async (s) => {
        const child = this.processes.get(s)!;
        if (child.exitCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
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

  private spawn(service: StackService): void {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
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
      OPS_MONITORING_TOKEN_FILE: join(this.logDir, 'monitoring-token'),
      ...this.extraEnv,
    };
    for (const s of STACK_SERVICES) env[`${SERVICES[s].envPrefix}_PORT`] = String(this.ports[s]);
    const { database, envPrefix } = SERVICES[service];
    if (database) env[`${envPrefix}_DATABASE_URL`] = testDatabaseUrl(database);
    const log = createWriteStream(this.logFile(service), { flags: 'a' });
    const child = spawn(process.execPath, [join(REPO_ROOT, 'tools', 'run-dist.js'), `dist/apps/${service}/src/main.js`], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.processes.set(service, child);
  }

  private async waitReady(service: StackService): Promise<void> {
    await waitFor(
      async () => {
        const child = this.processes.get(service);
        if (!child || child.exitCode !== null) throw new Error(`${service} exited with ${child?.exitCode}; see ${this.logDir}/${service}.log`);
        const res = await fetch(`${this.url(service)}/health`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
        return res?.ok ? true : undefined;
      },
      SERVICE_READY_TIMEOUT_MS,
      `${service} to be ready (log: ${this.logDir}/${service}.log)`,
      200,
    );
  }
}
