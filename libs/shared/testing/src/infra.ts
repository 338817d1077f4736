import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ACL_PRINCIPALS, type AclPrincipal } from '@paystream/shared/kafka';
import { grantTestAcls, testKafkaEnv } from './test-kafka';
import { TEST_REPO_ROOT } from './test-run';

/** The pepper of every test service (a fixed test value: tests derive the same secrets the services verify). */
export const TEST_CREDENTIAL_PEPPER = Buffer.alloc(32, 0x5a).toString('base64');

const PG_HOST = process.env.PGHOST ?? '127.0.0.1';
const PG_PORT = process.env.PGPORT ?? '5432';

/** A postgres URL for a database on the test server. */
export function testDatabaseUrl(database = TEST_DATABASE): string {
  return `postgres://postgres@${PG_HOST}:${PG_PORT}/${database}`;
}

/** The test database of the run (infra/postgres/setup.sh --with-test made it, with its three roles). */
export const TEST_DATABASE = 'paystream_test';

/**
 * The URL of a role infra/postgres/setup.sh gives a database (`<database>_<kind>`: owner, app, reader), with its
 * password from PAYSTREAM_PG_PASSWORD_DIR (else .run/postgres) when one is there (a server that trusts local
 * connections asks for none).
 */
export function testRoleUrl(database: string, kind: 'owner' | 'app' | 'reader'): string {
  const role = `${database}_${kind}`;
  const file = join(process.env.PAYSTREAM_PG_PASSWORD_DIR ?? join(TEST_REPO_ROOT, '.run', 'postgres'), `${role}.password`);
  const password = existsSync(file) ? `:${encodeURIComponent(readFileSync(file, 'utf8').trim())}` : '';
  return `postgres://${role}${password}@${PG_HOST}:${PG_PORT}/${database}`;
}

/** A short random id, lower-case, usable in topic prefixes and schema names. */
export function uniqueId(label = 't'): string {
  return `${label}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** A topic prefix of its own for one test file or case. */
export function uniqueTopicPrefix(label = 't'): string {
  return `${uniqueId(label)}.`;
}

/** Drops schemas a test created (best effort). */
export async function dropSchemas(url: string, schemas: string[]): Promise<void> {
  const ds = new DataSource({ type: 'postgres', url, poolSize: 1 });
  await ds.initialize();
  try {
    for (const s of schemas) await ds.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await ds.destroy();
  }
}

/** Polls until check returns a value other than undefined, or fails with the last state after timeoutMs. */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, what = 'condition', intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Every rate limit of a service under test is its default times this: specs send far more per key and
 * per address than a client may (a spec of the limits sets its own with RATE_LIMIT_<name>).
 */
export const TEST_RATE_LIMIT_SCALE = 1_000;

/**
 * The environment of a service under test: the test broker, as the service's own Kafka principal (the
 * ownership ACLs are put in place for its topic prefix first), and the test database, its own schema and
 * topic prefix, two partitions, quiet logs (TEST_LOG_LEVEL to see them). `isolation.principal` names another
 * principal (a CLI's, such as dlq-replay); the default is the service the env prefix names (ORDER_PAYMENT: order-payment).
 */
export async function testServiceEnv(
  envPrefix: string,
  isolation: { schema: string; topicPrefix: string; principal?: AclPrincipal },
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  await grantTestAcls(isolation.topicPrefix);
  return testServiceEnvWithoutAcls(envPrefix, isolation, extra);
}

/** testServiceEnv for a process that never connects to Kafka (a CLI on its database only): no ACLs are put in place. */
export function testServiceEnvWithoutAcls(envPrefix: string, isolation: { schema: string; topicPrefix: string; principal?: AclPrincipal }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    // the test database as a deployment's roles: the service migrates its schema as the owner role and runs as
    // the runtime role, which the start-up then restricts (libs/shared/persistence restrictRuntimeRole); a spec
    // naming its own <PREFIX>_DATABASE_URL in `extra` gets it alone
    ...(extra[`${envPrefix}_DATABASE_URL`] === undefined
      ? { [`${envPrefix}_DATABASE_URL`]: testRoleUrl(TEST_DATABASE, 'app'), [`${envPrefix}_MIGRATION_DATABASE_URL`]: testRoleUrl(TEST_DATABASE, 'owner') }
      : {}),
    // the broker the test's own producers and collectors use (KAFKA_BROKERS, else 127.0.0.1:9092), never a default of the service's own
    ...testKafkaEnv(isolation.principal ?? principalOf(envPrefix)),
    DB_SCHEMA: isolation.schema,
    KAFKA_TOPIC_PREFIX: isolation.topicPrefix,
    KAFKA_PARTITIONS: '2',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    CREDENTIAL_PEPPER: TEST_CREDENTIAL_PEPPER,
    RATE_LIMIT_SCALE: String(TEST_RATE_LIMIT_SCALE),
    ...extra,
  };
}

/** The Kafka principal of the service an env prefix names (CHANNEL_GATEWAY: channel-gateway). */
function principalOf(envPrefix: string): AclPrincipal {
  const principal = envPrefix.toLowerCase().replace(/_/g, '-');
  if (!(ACL_PRINCIPALS as readonly string[]).includes(principal)) throw new Error(`${envPrefix} names no Kafka principal (${ACL_PRINCIPALS.join(', ')})`);
  return principal as AclPrincipal;
}

/**
 * Ports handed to servers under test: below the kernel's ephemeral range (32768-60999 on Linux), so no
 * outgoing connection of any process (a Kafka client, a pool) can take one between our check and the
 * server's listen; a port picked from the ephemeral range did get taken so (EADDRINUSE on start-up).
 */
export const TEST_PORT_MIN = 20_000;
export const TEST_PORT_MAX = 32_767;
const TEST_PORT_TRIES_MAX = 50;

/** A TCP port free on 127.0.0.1 right now, from TEST_PORT_MIN..TEST_PORT_MAX (for a server whose own URL must be configured before it listens). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const bindable = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        const bound = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(bound));
      });
    });
  for (let i = 0; i < TEST_PORT_TRIES_MAX; i++) {
    const port = TEST_PORT_MIN + Math.floor(Math.random() * (TEST_PORT_MAX - TEST_PORT_MIN + 1));
    try {
      return await bindable(port);
    } catch {
      // taken: another
    }
  }
  return bindable(0);
}
