import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { ALL_TOPICS, dlqTopicOf, TOPICS } from '@paystream/contracts';
import { aclPlan, applyAcls, BROKER_PRINCIPAL, createKafka, secureClientConfig } from '@paystream/shared/kafka';
import { createLogger } from '@paystream/shared/observability';
import { loadPlatformConfig } from '@paystream/shared/platform';
import { ensureGroupCoordinator } from './apply-acls';
import { OWN_SECURE_BROKER_START_TIMEOUT_S, OwnSecureBroker } from './own-secure-broker';

/**
 * Starts its own secure broker (infra/kafka/kafka.sh, KAFKA_SECURITY=sasl_ssl) on free ports with its own
 * data and secrets under /tmp, applies the ownership ACLs and shows what the broker refuses and allows.
 */
const hasJava = !spawnSync('java', ['-version'], { stdio: 'ignore' }).error;
if (!hasJava) console.warn('secure-broker.integration-spec: skipped, no java on PATH (the secure broker is Apache Kafka on the JVM)');
const describeWithJava = hasJava ? describe : describe.skip;

/** How long one refused client tries before it gives up. */
const CLIENT_TIMEOUT_MS = 5_000;
/** How long a consumer may take to join its group and read its first message. */
const CONSUMER_READ_TIMEOUT_MS = 60_000;

const PEPPER = Buffer.alloc(32, 0x5a).toString('base64');

describeWithJava('the secure broker (SASL_SSL, SCRAM-SHA-512, ACLs that follow ownership)', () => {
  let own: OwnSecureBroker | undefined;
  let brokers: string[];
  let secretsDir: string;

  const client = (config: Omit<KafkaConfig, 'clientId' | 'brokers'> & { brokers?: string[] }) =>
    new Kafka({ clientId: `acl-spec-${Math.random().toString(36).slice(2)}`, brokers, logLevel: logLevel.NOTHING, connectionTimeout: CLIENT_TIMEOUT_MS, retry: { retries: 0 }, ...config });
  const as = (principal: string) => client({ ...secureClientConfig(brokers, secretsDir, principal) });

  async function send(kafka: Kafka, topic: string): Promise<void> {
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: `from the spec to ${topic}` }] });
    } finally {
      await producer.disconnect();
    }
  }

  /** The first message a consumer in `groupId` reads from `topic`, or why the consumer crashed. */
  async function firstMessage(kafka: Kafka, groupId: string, topic: string): Promise<string> {
    const consumer = kafka.consumer({ groupId, retry: { retries: 0 } });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      return await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${groupId} read nothing from ${topic} within ${CONSUMER_READ_TIMEOUT_MS} ms`)), CONSUMER_READ_TIMEOUT_MS);
        consumer.on(consumer.events.CRASH, (event) => {
          clearTimeout(timer);
          reject(event.payload.error);
        });
        consumer
          .run({
            eachMessage: async ({ message }) => {
              clearTimeout(timer);
              resolve(String(message.value));
            },
          })
          .catch((error: unknown) => {
            clearTimeout(timer);
            reject(error as Error);
          });
      });
    } finally {
      await consumer.disconnect();
    }
  }

  beforeAll(async () => {
    own = await new OwnSecureBroker('secure-kafka').start();
    brokers = own.brokers;
    secretsDir = own.secretsDir;
    const admin = client({ ...secureClientConfig(brokers, secretsDir, BROKER_PRINCIPAL), retry: { retries: 10 } }).admin();
    await admin.connect();
    try {
      await applyAcls(admin, aclPlan(''));
      await applyAcls(admin, aclPlan('')); // a second run changes nothing
      const topics = ALL_TOPICS.flatMap((t) => [t, dlqTopicOf(t)]).map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 }));
      await admin.createTopics({ topics, waitForLeaders: true });
      await ensureGroupCoordinator(admin);
    } finally {
      await admin.disconnect();
    }
  }, (OWN_SECURE_BROKER_START_TIMEOUT_S + 90) * 1000);

  afterAll(() => own?.stop(), 90_000);

  it('keeps every secret 0600 and writes the upstream client configuration', () => {
    for (const file of ['upstream.password', 'risk.password', `${BROKER_PRINCIPAL}.password`, 'ca.key', 'client-upstream.json']) {
      expect((statSync(join(secretsDir, file)).mode & 0o777).toString(8)).toBe('600');
    }
    const upstream = JSON.parse(readFileSync(join(secretsDir, 'client-upstream.json'), 'utf8'));
    expect(upstream).toEqual({
      brokers,
      ssl: { ca: join(secretsDir, 'ca.pem') },
      sasl: { mechanism: 'scram-sha-512', username: 'upstream', password: readFileSync(join(secretsDir, 'upstream.password'), 'utf8').trim() },
    });
  });

  it('refuses an anonymous plaintext client, a TLS client without a login and a wrong password', async () => {
    await expect(client({}).admin().connect()).rejects.toThrow();
    await expect(client({ ssl: { ca: [readFileSync(join(secretsDir, 'ca.pem'), 'utf8')] } }).admin().listTopics()).rejects.toThrow();
    const wrong = client({ ...secureClientConfig(brokers, secretsDir, 'upstream'), sasl: { mechanism: 'scram-sha-512', username: 'upstream', password: 'not-the-password' } });
    await expect(wrong.admin().connect()).rejects.toThrow(/SASL SCRAM SHA512 authentication failed|Authentication failed/i);
  });

  it('refuses the upstream writing payment.succeeded.v1 and settlement writing payment.requested.v1', async () => {
    await expect(send(as('upstream'), TOPICS.paymentSucceeded)).rejects.toThrow(/authoriz/i);
    await expect(send(as('settlement'), TOPICS.paymentRequested)).rejects.toThrow(/authoriz/i);
  });

  it('refuses risk reading a settlement topic, and reading its own topics with another service group', async () => {
    const onSettlement = as('risk').consumer({ groupId: 'paystream.risk' });
    await onSettlement.connect();
    try {
      await expect(onSettlement.subscribe({ topic: TOPICS.settlementDue, fromBeginning: true })).rejects.toThrow(/authoriz/i);
    } finally {
      await onSettlement.disconnect();
    }
    // risk reads payment.succeeded.v1 in its own group, but may not use settlement's: the broker answers
    // GROUP_AUTHORIZATION_FAILED to its coordinator lookup (kafkajs reports only "Failed to find group coordinator")
    await send(as('order-payment'), TOPICS.paymentSucceeded);
    expect(await firstMessage(as('risk'), 'paystream.risk', TOPICS.paymentSucceeded)).toBe(`from the spec to ${TOPICS.paymentSucceeded}`);
    const refusals: string[] = [];
    const watched = client({
      ...secureClientConfig(brokers, secretsDir, 'risk'),
      logLevel: logLevel.DEBUG,
      logCreator: () => (entry) => {
        const type = (entry.log.error as { type?: string } | undefined)?.type;
        if (type) refusals.push(type);
      },
    });
    await expect(firstMessage(watched, 'paystream.settlement', TOPICS.paymentSucceeded)).rejects.toThrow(/group coordinator/i);
    expect(refusals).toContain('GROUP_AUTHORIZATION_FAILED');
  }, 120_000);

  it('lets order-payment (as a service configures it) write payment.succeeded.v1, the upstream write payment.requested.v1 and read the outcome', async () => {
    const config = loadPlatformConfig('order-payment', {
      CREDENTIAL_PEPPER: PEPPER,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_SSL_CA_FILE: join(secretsDir, 'ca.pem'),
      KAFKA_SASL_USERNAME: 'order-payment',
      KAFKA_SASL_PASSWORD_FILE: join(secretsDir, 'order-payment.password'),
    });
    await send(createKafka(config.kafka, createLogger('acl-spec', 'silent')), TOPICS.paymentSucceeded);
    await send(as('upstream'), TOPICS.paymentRequested);

    expect(await firstMessage(as('upstream'), 'upstream.acl-spec', TOPICS.paymentSucceeded)).toBe(`from the spec to ${TOPICS.paymentSucceeded}`);
  }, 120_000);
});
