import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kafka, logLevel, type Admin, type KafkaConfig } from 'kafkajs';
import { aclPlan, type AclPrincipal, applyAcls, BROKER_PRINCIPAL, deleteAclsOn, kafkaLoginEnv, type KafkaSettings, secureClientConfig } from '@paystream/shared/kafka';
import { TEST_REPO_ROOT, TEST_RUN_ID_ENV } from './test-run';

/**
 * How the test run reaches its broker: the secure one (infra/kafka/kafka.sh's default, SASL_SSL with SCRAM and
 * ACLs), or, with KAFKA_SECURITY=plaintext, an anonymous plaintext broker (no credentials, no ACLs).
 */
export const TEST_KAFKA_SECURITY: 'sasl_ssl' | 'plaintext' = process.env.KAFKA_SECURITY === 'plaintext' ? 'plaintext' : 'sasl_ssl';

/** The broker the test run shares (infra/kafka/kafka.sh). */
export const TEST_KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');


/** Where kafka.sh wrote the CA and the principals' passwords (KAFKA_SECRETS_DIR, else .run/kafka). */
export const TEST_KAFKA_SECRETS_DIR = resolve(process.env.KAFKA_SECRETS_DIR ?? join(TEST_REPO_ROOT, '.run', 'kafka'));

/**
 * The principal the test harness itself connects as (its raw producers, collectors, admin clients): the
 * broker's super user, because a spec plays every part (the upstream, a forger, an observer of any topic).
 * The services under test never use it: each connects as its own principal (testServiceEnv, ServiceStack).
 */
export const TEST_HARNESS_PRINCIPAL = BROKER_PRINCIPAL;

/** kafkajs options (brokers, TLS, SASL) for a client of the test broker, as `principal` (default the harness). */
export function testKafkaConfig(principal: string = TEST_HARNESS_PRINCIPAL): Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'> {
  if (TEST_KAFKA_SECURITY === 'plaintext') return { brokers: TEST_KAFKA_BROKERS };
  return secureClientConfig(TEST_KAFKA_BROKERS, TEST_KAFKA_SECRETS_DIR, principal);
}

/**
 * A broker and how to log in to it: the secrets directory infra/kafka/kafka.sh wrote (ca.pem, <principal>.password)
 * for a secure one; none for an anonymous plaintext one.
 */
export interface KafkaLogin {
  brokers: string[];
  secretsDir?: string;
}

/** The test run's broker (KAFKA_BROKERS, KAFKA_SECRETS_DIR; no secrets with KAFKA_SECURITY=plaintext). */
export const TEST_KAFKA: KafkaLogin = TEST_KAFKA_SECURITY === 'plaintext' ? { brokers: TEST_KAFKA_BROKERS } : { brokers: TEST_KAFKA_BROKERS, secretsDir: TEST_KAFKA_SECRETS_DIR };

/**
 * The environment that connects a service (or CLI) to a broker as `principal` (platform config: KAFKA_*): the test
 * broker, or a broker of the caller's own (a chaos run's cluster). Without a secrets directory: the brokers only.
 */
export function testKafkaEnv(principal: AclPrincipal, broker: KafkaLogin = TEST_KAFKA): Record<string, string> {
  const env: Record<string, string> = { KAFKA_BROKERS: broker.brokers.join(',') };
  if (broker.secretsDir === undefined) return env;
  return { ...env, ...kafkaLoginEnv(broker.secretsDir, principal) };
}

const granted = new Map<string, Promise<void>>();

/**
 * Where a test run notes the prefixes it granted ACLs for, so its global teardown takes them away again (the
 * developer's broker is the demo's too): one file per Jest run, named by the run id the global setup puts in
 * the environment (TEST_RUN_ID_ENV) before any worker starts. Outside Jest: one per process.
 */
export const TEST_ACL_LEDGER_DIR = join(TEST_REPO_ROOT, '.run', 'kafka-test-acls');
function testAclLedgerFile(): string {
  return join(TEST_ACL_LEDGER_DIR, `${process.env[TEST_RUN_ID_ENV] ?? `pid-${process.pid}`}.txt`);
}

/** Runs `work` with an admin client of the broker's super user (who grants and takes away ACLs), connected for it alone. */
async function asSuperuser(work: (admin: Admin) => Promise<unknown>): Promise<void> {
  const admin = new Kafka({ clientId: 'paystream-test-acls', logLevel: logLevel.NOTHING, retry: { retries: 5 }, ...testKafkaConfig() }).admin();
  await admin.connect();
  try {
    await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Takes away the ACLs this Jest run granted (the global teardown, in the Jest process): every ACL on the resources of each prefix noted. */
export async function revokeTestAcls(): Promise<number> {
  if (TEST_KAFKA_SECURITY === 'plaintext') return 0;
  const file = testAclLedgerFile();
  if (!existsSync(file)) return 0;
  const prefixes = [...new Set(readFileSync(file, 'utf8').split('\n').filter((p) => p !== ''))];
  await asSuperuser(async (admin) => {
    for (const prefix of prefixes) await deleteAclsOn(admin, aclPlan(prefix));
  });
  rmSync(file, { force: true });
  return prefixes.length;
}

/**
 * Puts the ownership ACLs (aclPlan) in place for one test's topic prefix, once per prefix and process: a service
 * under test then has exactly the rights it has in production, on that test's own topics and groups.
 * A plaintext broker has no authorizer: nothing to do.
 */
export function grantTestAcls(topicPrefix: string): Promise<void> {
  if (TEST_KAFKA_SECURITY === 'plaintext') return Promise.resolve();
  let done = granted.get(topicPrefix);
  if (!done) {
    done = (async () => {
      mkdirSync(TEST_ACL_LEDGER_DIR, { recursive: true });
      appendFileSync(testAclLedgerFile(), `${topicPrefix}\n`);
      await asSuperuser((admin) => applyAcls(admin, aclPlan(topicPrefix)));
    })();
    done.catch(() => granted.delete(topicPrefix));
    granted.set(topicPrefix, done);
  }
  return done;
}

/**
 * The connection part of a KafkaSettings (brokers, TLS, SASL) for a client of the test broker as `principal`
 * (default the harness), for specs that build a producer, consumer or relay from settings of their own.
 */
export function testKafkaSettings(principal: string = TEST_HARNESS_PRINCIPAL): Pick<KafkaSettings, 'brokers' | 'ssl' | 'sasl'> {
  if (TEST_KAFKA_SECURITY === 'plaintext') return { brokers: TEST_KAFKA_BROKERS };
  const { ssl, sasl } = secureClientConfig(TEST_KAFKA_BROKERS, TEST_KAFKA_SECRETS_DIR, principal);
  return { brokers: TEST_KAFKA_BROKERS, ssl: { ca: ssl.ca[0]! }, sasl };
}
