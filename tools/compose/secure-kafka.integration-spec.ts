/**
 * docker-compose's Kafka without Docker: infra/compose/secure-kafka.sh (what kafka-init and the kafka service
 * run in the apache/kafka image) run here, with /opt/kafka/bin stood in by the jars infra/kafka/kafka.sh
 * fetches. kafka-init's secrets, a node formatted with every principal's SCRAM credential and started on
 * free ports, its healthcheck, the ACL plan applied as the ACL job does, and a service configured as compose
 * configures it (its own principal, the CA from the volume) using its topics.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes, type KafkaConfig } from 'kafkajs';
import { ALL_TOPICS, dlqTopicOf, TOPICS } from '@paystream/contracts';
import { createLogger } from '@paystream/shared/observability';
import { loadPlatformConfig } from '@paystream/shared/platform';
import { freePort, waitFor } from '@paystream/shared/testing';
import { aclPlan, applyAcls, BROKER_PRINCIPAL, createKafka, ensureTopics, secureClientConfig } from '@paystream/shared/kafka';
import { ensureGroupCoordinator } from '../kafka-acl/apply-acls';

const hasJava = !spawnSync('java', ['-version'], { stdio: 'ignore' }).error;
if (!hasJava) console.warn('secure-kafka.integration-spec: skipped, no java on PATH (the broker is Apache Kafka on the JVM)');
const describeWithJava = hasJava ? describe : describe.skip;

const ROOT = resolve(__dirname, '../..');
const SCRIPT = join(ROOT, 'infra/compose/secure-kafka.sh');
const LIBS = join(ROOT, 'infra/kafka/libs');
/** How long the node may take to format, start and let kafka-broker in on a loaded machine. */
const NODE_START_TIMEOUT_MS = 180_000;
/** How long the node may take to stop on SIGTERM before it is killed. */
const NODE_STOP_TIMEOUT_MS = 60_000;
/** How long one refused client tries before it gives up. */
const CLIENT_TIMEOUT_MS = 5_000;
const PEPPER = Buffer.alloc(32, 0x5a).toString('base64');

/** The apache/kafka image's /opt/kafka/bin scripts the secure script calls, each the class it runs. */
const KAFKA_BIN: Record<string, string> = {
  'kafka-storage.sh': 'kafka.tools.StorageTool',
  'kafka-server-start.sh': 'kafka.Kafka',
  'kafka-broker-api-versions.sh': 'kafka.admin.BrokerApiVersionsCommand',
};

describeWithJava('docker-compose Kafka (infra/compose/secure-kafka.sh) run outside Docker', () => {
  let dir: string;
  let secretsDir: string;
  let env: NodeJS.ProcessEnv;
  let node: ChildProcess | undefined;
  let internal: string;
  let external: string;
  let controller: string;

  const script = (args: string[], extra: NodeJS.ProcessEnv = {}) => spawnSync('bash', [SCRIPT, ...args], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 120_000 });
  const client = (brokers: string[], config: Omit<KafkaConfig, 'clientId' | 'brokers'> = {}) =>
    new Kafka({ clientId: `compose-kafka-spec-${Math.random().toString(36).slice(2)}`, brokers, logLevel: logLevel.NOTHING, connectionTimeout: CLIENT_TIMEOUT_MS, retry: { retries: 0 }, ...config });
  const as = (principal: string, brokers = [internal]) => client(brokers, secureClientConfig(brokers, secretsDir, principal));

  /** A service's configuration as compose gives it: the internal listener, the CA and its own password from the volume. */
  const serviceConfig = (principal: 'order-payment' | 'settlement') =>
    loadPlatformConfig(principal, {
      CREDENTIAL_PEPPER: PEPPER,
      KAFKA_BROKERS: internal,
      KAFKA_SSL_CA_FILE: join(secretsDir, 'ca.pem'),
      KAFKA_SASL_USERNAME: principal,
      KAFKA_SASL_PASSWORD_FILE: join(secretsDir, `${principal}.password`),
      KAFKA_PARTITIONS: '1',
    });

  async function send(kafka: Kafka, topic: string): Promise<void> {
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: `from the spec to ${topic}` }] });
    } finally {
      await producer.disconnect();
    }
  }

  beforeAll(async () => {
    const fetched = spawnSync('bash', [join(ROOT, 'infra/kafka/kafka.sh'), 'fetch'], { encoding: 'utf8', timeout: 600_000 });
    if (fetched.status !== 0) throw new Error(`kafka.sh fetch failed: ${fetched.stderr}`);
    dir = mkdtempSync(join(tmpdir(), 'paystream-compose-kafka-'));
    secretsDir = join(dir, 'secrets');
    const home = join(dir, 'opt-kafka');
    mkdirSync(join(home, 'bin'), { recursive: true });
    for (const [name, mainClass] of Object.entries(KAFKA_BIN)) {
      const heap = name === 'kafka-server-start.sh' ? '384m' : '128m';
      writeFileSync(join(home, 'bin', name), `#!/usr/bin/env bash\nexec java -Xmx${heap} -Dlog4j.configuration=file:${ROOT}/infra/kafka/log4j.properties -cp '${LIBS}/*' ${mainClass} "$@"\n`);
      chmodSync(join(home, 'bin', name), 0o755);
    }
    const [internalPort, externalPort, controllerPort] = [await freePort(), await freePort(), await freePort()];
    internal = `localhost:${internalPort}`;
    external = `127.0.0.1:${externalPort}`;
    controller = `127.0.0.1:${controllerPort}`;
    env = {
      PATH: process.env.PATH,
      TMPDIR: dir,
      KAFKA_HOME: home,
      KAFKA_SECRETS_DIR: secretsDir,
      KAFKA_BROKER_HOSTS: 'localhost',
      KAFKA_NODE_ID: '1',
      KAFKA_ADVERTISED_HOST: 'localhost',
      KAFKA_LISTEN_HOST: '127.0.0.1',
      KAFKA_INTERNAL_PORT: String(internalPort),
      KAFKA_EXTERNAL_PORT: String(externalPort),
      KAFKA_CONTROLLER_PORT: String(controllerPort),
      KAFKA_CONTROLLER_QUORUM_VOTERS: `1@localhost:${controllerPort}`,
      KAFKA_DATA_DIR: join(dir, 'data'),
    };
    const secrets = script(['secrets']);
    if (secrets.status !== 0) throw new Error(`secure-kafka.sh secrets failed: ${secrets.stderr}`);
    const log = openSync(join(dir, 'node.log'), 'a');
    node = spawn('bash', [SCRIPT, 'run'], { env, stdio: ['ignore', log, log] });
    await waitFor(
      () => {
        if (node?.exitCode !== null) throw new Error(`the node exited: ${readFileSync(join(dir, 'node.log'), 'utf8').slice(-2_000)}`);
        return script(['health']).status === 0 ? true : undefined;
      },
      NODE_START_TIMEOUT_MS,
      'the node to let kafka-broker in',
      2_000,
    );
  }, NODE_START_TIMEOUT_MS + 120_000);

  afterAll(async () => {
    if (node && node.exitCode === null) {
      let timer: NodeJS.Timeout | undefined;
      const exited = new Promise((r) => node!.once('exit', r));
      node.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, NODE_STOP_TIMEOUT_MS)))]);
      clearTimeout(timer);
      if (node.exitCode === null) node.kill('SIGKILL');
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  it('is healthy only while kafka-broker can log in: the healthcheck fails with another password', () => {
    const wrong = join(dir, 'wrong-secrets');
    mkdirSync(wrong);
    copyFileSync(join(secretsDir, 'ca.pem'), join(wrong, 'ca.pem'));
    writeFileSync(join(wrong, `${BROKER_PRINCIPAL}.password`), 'not-the-password\n');
    expect(script(['health'], { KAFKA_SECRETS_DIR: wrong }).status).not.toBe(0);
    expect(script(['health']).status).toBe(0);
  });

  it('refuses a plaintext client on every listener, and an anonymous TLS client', async () => {
    for (const listener of [internal, external, controller]) await expect(client([listener]).admin().connect()).rejects.toThrow();
    await expect(client([external], { ssl: { ca: [readFileSync(join(secretsDir, 'ca.pem'), 'utf8')] } }).admin().listTopics()).rejects.toThrow();
  });

  it('lets a service configured as compose configures it create and write its topics once the ACL job ran, and refuses another principal its topic and a service an ACL of its own', async () => {
    const admin = client([internal], { ...secureClientConfig([internal], secretsDir, BROKER_PRINCIPAL), retry: { retries: 10 } }).admin();
    await admin.connect();
    try {
      await applyAcls(admin, aclPlan(''));
      await ensureGroupCoordinator(admin);
    } finally {
      await admin.disconnect();
    }
    const config = serviceConfig('order-payment');
    const kafka = createKafka(config.kafka, createLogger('compose-kafka-spec', 'silent'));
    await ensureTopics(kafka, config.kafka, [TOPICS.paymentSucceeded]);
    await send(kafka, TOPICS.paymentSucceeded);
    const settlement = serviceConfig('settlement');
    await expect(send(createKafka(settlement.kafka, createLogger('compose-kafka-spec', 'silent')), TOPICS.paymentSucceeded)).rejects.toThrow(/authoriz/i);
    // the cluster resource has no ACL at all: a service may not grant itself one (nothing is allowed for want of an ACL)
    const stranger = as('settlement').admin();
    await stranger.connect();
    try {
      const grant = { principal: 'User:settlement', host: '*', resourceType: AclResourceTypes.TOPIC, resourceName: TOPICS.paymentSucceeded, resourcePatternType: ResourcePatternTypes.LITERAL, operation: AclOperationTypes.WRITE, permissionType: AclPermissionTypes.ALLOW };
      await expect(stranger.createAcls({ acl: [grant] })).rejects.toThrow(/authoriz/i);
    } finally {
      await stranger.disconnect();
    }
  }, 120_000);

  it("lets the host's tools in on the external listener (127.0.0.1, the certificate names it) as their principal", async () => {
    const admin = as(BROKER_PRINCIPAL, [external]).admin();
    await admin.connect();
    try {
      const topics = ALL_TOPICS.filter((t) => t === TOPICS.paymentRequested).flatMap((t) => [t, dlqTopicOf(t)]);
      await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })), waitForLeaders: true });
      expect((await admin.describeCluster()).brokers.map((b) => `${b.host}:${b.port}`)).toEqual([external]);
    } finally {
      await admin.disconnect();
    }
    await send(as('upstream', [external]), TOPICS.paymentRequested);
  }, 60_000);
});
