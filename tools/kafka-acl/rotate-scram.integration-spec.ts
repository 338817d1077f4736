import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { createKafka, secureClientConfig } from '@paystream/shared/kafka';
import { createLogger } from '@paystream/shared/observability';
import { loadPlatformConfig } from '@paystream/shared/platform';
import { OWN_SECURE_BROKER_START_TIMEOUT_S, OwnSecureBroker } from './own-secure-broker';

/**
 * infra/kafka/rotate-scram.sh on a secure broker of its own (infra/kafka/kafka.sh, KAFKA_SECURITY=sasl_ssl,
 * free ports, data and secrets under /tmp): after a rotation the broker refuses the old password and takes
 * the new one, the password file holds the new one (0600), a connection made before keeps working, and a
 * service that starts again (reading its password file, as a restart does) gets in.
 */
const hasJava = !spawnSync('java', ['-version'], { stdio: 'ignore' }).error;
if (!hasJava) console.warn('rotate-scram.integration-spec: skipped, no java on PATH (the secure broker is Apache Kafka on the JVM)');
const describeWithJava = hasJava ? describe : describe.skip;

/** How long one refused client tries before it gives up. */
const CLIENT_TIMEOUT_MS = 5_000;
/** How long one rotation (kafka-configs on the JVM) may take on a loaded machine. */
const ROTATION_TIMEOUT_MS = 90_000;

const rotateScript = join(__dirname, '../../infra/kafka/rotate-scram.sh');
const PEPPER = Buffer.alloc(32, 0x5a).toString('base64');

describeWithJava('rotating a SCRAM password (infra/kafka/rotate-scram.sh)', () => {
  let brokers: string[];
  let secretsDir: string;

  const client = (config: Omit<KafkaConfig, 'clientId' | 'brokers'> & { brokers?: string[] }) =>
    new Kafka({ clientId: `rotate-spec-${Math.random().toString(36).slice(2)}`, brokers, logLevel: logLevel.NOTHING, connectionTimeout: CLIENT_TIMEOUT_MS, retry: { retries: 0 }, ...config });
  const withPassword = (principal: string, password: string) => client({ ...secureClientConfig(brokers, secretsDir, principal), sasl: { mechanism: 'scram-sha-512', username: principal, password } });
  const passwordOf = (principal: string) => readFileSync(join(secretsDir, `${principal}.password`), 'utf8').trim();
  const rotate = (principal: string) => spawnSync('bash', [rotateScript, principal], { env: { ...process.env, KAFKA_BROKERS: brokers.join(','), KAFKA_SECRETS_DIR: secretsDir }, encoding: 'utf8', timeout: ROTATION_TIMEOUT_MS });

  /** Whether a new connection with this login is let in (a metadata request after the SASL handshake). */
  async function admitted(kafka: Kafka): Promise<boolean> {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.listTopics();
      return true;
    } catch (error) {
      if (/authentication failed/i.test(String((error as Error).message))) return false;
      throw error;
    } finally {
      await admin.disconnect();
    }
  }

  let own: OwnSecureBroker | undefined;

  beforeAll(async () => {
    own = await new OwnSecureBroker('rotate-scram').start();
    brokers = own.brokers;
    secretsDir = own.secretsDir;
  }, (OWN_SECURE_BROKER_START_TIMEOUT_S + 90) * 1000);

  afterAll(() => own?.stop(), 90_000);

  it('refuses the old password and takes the new one; the connection made before keeps working; the service started again gets in', async () => {
    const env = { CREDENTIAL_PEPPER: PEPPER, KAFKA_BROKERS: brokers.join(','), KAFKA_SSL_CA_FILE: join(secretsDir, 'ca.pem'), KAFKA_SASL_USERNAME: 'risk', KAFKA_SASL_PASSWORD_FILE: join(secretsDir, 'risk.password') };
    const before = loadPlatformConfig('risk', env).kafka;
    const old = passwordOf('risk');
    const running = createKafka(before, createLogger('rotate-spec', 'silent')).admin();
    await running.connect();
    try {
      await running.listTopics();

      const rotation = rotate('risk');
      expect([rotation.status, rotation.stderr]).toEqual([0, expect.stringMatching(/restart every process of risk/)]);

      const rotated = passwordOf('risk');
      expect(rotated).not.toBe(old);
      expect(rotated).toMatch(/^[0-9a-f]{48}$/);
      expect((statSync(join(secretsDir, 'risk.password')).mode & 0o777).toString(8)).toBe('600');
      expect(existsSync(join(secretsDir, 'risk.password.new'))).toBe(false);
      expect(`${rotation.stdout}${rotation.stderr}`).not.toContain(rotated);

      expect(await admitted(withPassword('risk', old))).toBe(false);
      expect(await admitted(withPassword('risk', rotated))).toBe(true);
      // the process that read the old password: its open connection stays authenticated ...
      await expect(running.listTopics()).resolves.toEqual(expect.any(Array));
      // ... a new connection of it is refused (it must restart), and once started again it reads the new file
      expect(await admitted(createKafka(before, createLogger('rotate-spec', 'silent')))).toBe(false);
      expect(await admitted(createKafka(loadPlatformConfig('risk', env).kafka, createLogger('rotate-spec', 'silent')))).toBe(true);
      // another principal is untouched
      expect(await admitted(withPassword('settlement', passwordOf('settlement')))).toBe(true);
    } finally {
      await running.disconnect();
    }
  }, 180_000);

  it("rewrites the upstream's client configuration with its new password", async () => {
    const rotation = rotate('upstream');
    expect(rotation.status).toBe(0);
    const c = JSON.parse(readFileSync(join(secretsDir, 'client-upstream.json'), 'utf8')) as { brokers: string[]; ssl: { ca: string }; sasl: { mechanism: 'scram-sha-512'; username: string; password: string } };
    expect(c.sasl.password).toBe(passwordOf('upstream'));
    expect((statSync(join(secretsDir, 'client-upstream.json')).mode & 0o777).toString(8)).toBe('600');
    expect(await admitted(client({ brokers: c.brokers, ssl: { ca: [readFileSync(c.ssl.ca, 'utf8')] }, sasl: c.sasl }))).toBe(true);
  }, 120_000);

  it('refuses to rotate the broker principal and a principal the broker does not have, changing nothing', () => {
    const broker = passwordOf('kafka-broker');
    const refusal = rotate('kafka-broker');
    expect([refusal.status, refusal.stderr]).toEqual([1, expect.stringMatching(/rolling broker restart/)]);
    expect(passwordOf('kafka-broker')).toBe(broker);
    expect(rotate('nobody').status).toBe(1);
    expect(rotate('../kafka-broker').status).toBe(1);
    expect(existsSync(join(secretsDir, 'nobody.password'))).toBe(false);
  });
});
