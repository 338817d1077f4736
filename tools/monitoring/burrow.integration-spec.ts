import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { freePort, grantTestAcls, TEST_KAFKA_BROKERS, TEST_KAFKA_SECRETS_DIR, TEST_KAFKA_SECURITY, testKafkaConfig, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { overrideBurrowConfig } from './burrow-config';
import { findTool, ROOT } from './monitoring-tools';

/** The cluster name burrow.toml gives the Paystream cluster (the HTTP API's path segment). */
const CLUSTER = 'paystream';
/** How often the test producer writes to the watched topic while the group runs and after it stops. */
const PRODUCE_INTERVAL_MS = 300;
/** How long each of ZooKeeper, Burrow and each status change may take. */
const START_TIMEOUT_MS = 30_000;
const STATUS_TIMEOUT_MS = 30_000;
const KAFKA_LIBS = join(ROOT, 'infra', 'kafka', 'libs');

interface PartitionStatus {
  topic: string;
  partition: number;
  status: string;
  current_lag: number;
}

interface BurrowStatus {
  status: string;
  complete: number;
  totallag: number;
  partition_count: number;
  /** Only the partitions that are not OK. */
  partitions: PartitionStatus[];
  maxlag: PartitionStatus | null;
}

/** True once ZooKeeper answers its `srvr` command, i.e. serves sessions (a listening port is not enough). */
function zookeeperServing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write('srvr'));
    socket.setTimeout(1_000, () => socket.destroy());
    socket.on('data', (d) => (answer += d.toString('utf8')));
    socket.once('close', () => resolve(/Zookeeper version/.test(answer) && !/not currently serving/.test(answer)));
    socket.once('error', () => resolve(false));
  });
}

function startProcess(binary: string, args: string[], logFile: string, env: Record<string, string> = {}): ChildProcess {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const log = createWriteStream(logFile);
  // both streams into one file, which closes when the process is gone (not when the first stream ends)
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  child.once('close', () => log.end());
  return child;
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Debian's Burrow with infra/burrow/burrow.toml against the test broker: a consumer group that
 * consumes and commits is OK; once its consumer stops while the topic keeps growing, Burrow reports
 * the group as a problem (ERR, the partition STOP).
 */
describe('Burrow watching a consumer group on the test broker', () => {
  const prefix = uniqueTopicPrefix('burrow');
  const topic = `${prefix}payment.succeeded.v1`;
  // named like the settlement service's group under a stack's topic prefix, so burrow.toml's own
  // whitelist would take it as well
  const group = `${prefix}paystream.settlement`;
  const dir = join(ROOT, '.run', 'burrow', uniqueId('b'));
  const kafka = new Kafka({ clientId: uniqueId('burrow-test'), ...testKafkaConfig(), logLevel: logLevel.NOTHING });
  // Burrow logs in as its own principal (SASL/PLAIN over TLS: Burrow 1.2 has no SCRAM) under the ownership ACLs
  const secure = TEST_KAFKA_SECURITY === 'sasl_ssl';
  const login: Record<string, Record<string, string>> = secure
    ? { 'sasl.paystream': { password: readFileSync(join(TEST_KAFKA_SECRETS_DIR, 'burrow.password'), 'utf8').trim() } }
    : { 'client-profile.paystream': { tls: '', sasl: '' } };
  // Burrow 1.2 trusts the broker's CA through Go's SSL_CERT_FILE (its tls cafile counts only beside a client certificate)
  const burrowEnv: Record<string, string> = secure ? { SSL_CERT_FILE: join(TEST_KAFKA_SECRETS_DIR, 'ca.pem') } : {};
  let zookeeper: ChildProcess | undefined;
  let burrow: ChildProcess | undefined;
  let burrowUrl = '';
  let producer: Producer;
  let consumer: Consumer | undefined;
  let producing: NodeJS.Timeout | undefined;

  const status = async (): Promise<BurrowStatus | undefined> => {
    const res = await fetch(`${burrowUrl}/v3/kafka/${CLUSTER}/consumer/${encodeURIComponent(group)}/status`, { signal: AbortSignal.timeout(2_000) });
    if (res.status === 404) return undefined;
    const body = (await res.json()) as { error: boolean; message: string; status?: BurrowStatus };
    if (body.error || !body.status) throw new Error(`burrow: ${body.message}`);
    return body.status;
  };

  beforeAll(async () => {
    await grantTestAcls(prefix);
    const burrowBinary = findTool(['Burrow', 'burrow']);
    const java = findTool(['java']);
    const hasZooKeeper = (() => {
      try {
        return readdirSync(KAFKA_LIBS).some((f) => /^zookeeper-\d.*\.jar$/.test(f));
      } catch {
        return false;
      }
    })();
    if (!hasZooKeeper) throw new Error(`no ZooKeeper jar in ${KAFKA_LIBS}: run \`bash scripts/install-monitoring.sh\` (it runs infra/kafka/kafka.sh fetch)`);
    mkdirSync(join(dir, 'zookeeper'), { recursive: true });

    // Burrow 1.2 keeps its own coordination in ZooKeeper; the KRaft broker has none
    const zkPort = await freePort();
    writeFileSync(
      join(dir, 'zoo.cfg'),
      [`dataDir=${join(dir, 'zookeeper')}`, `clientPort=${zkPort}`, 'clientPortAddress=127.0.0.1', 'admin.enableServer=false', 'tickTime=2000', ''].join('\n'),
    );
    zookeeper = startProcess(
      java,
      ['-Xmx64m', `-Dlog4j.configuration=file:${join(ROOT, 'infra', 'kafka', 'log4j.properties')}`, '-cp', `${KAFKA_LIBS}/*`, 'org.apache.zookeeper.server.ZooKeeperServerMain', join(dir, 'zoo.cfg')],
      join(dir, 'zookeeper.log'),
    );
    await waitFor(async () => {
      if (zookeeper?.exitCode !== null) throw new Error(`zookeeper exited; see ${dir}/zookeeper.log`);
      return (await zookeeperServing(zkPort)) ? true : undefined;
    }, START_TIMEOUT_MS, 'zookeeper to serve', 200);

    const httpPort = await freePort();
    const config = overrideBurrowConfig(readFileSync(join(ROOT, 'infra', 'burrow', 'burrow.toml'), 'utf8'), {
      general: { pidfile: join(dir, 'burrow.pid') },
      zookeeper: { servers: [`127.0.0.1:${zkPort}`], 'root-path': '/burrow' },
      ...login,
      [`cluster.${CLUSTER}`]: { servers: TEST_KAFKA_BROKERS, 'topic-refresh': 2, 'offset-refresh': 1 },
      // only this test's group, and only commits made from now on (the shared broker has history)
      [`consumer.${CLUSTER}`]: { servers: TEST_KAFKA_BROKERS, 'start-latest': true, 'group-whitelist': `^${prefix.replace(/\./g, '\\.')}` },
      'httpserver.default': { address: `127.0.0.1:${httpPort}` },
      // a window of 3 commits at least a second apart, so the test needs seconds, not minutes
      'storage.default': { intervals: 3, 'min-distance': 1, workers: 4 },
      'evaluator.default': { 'expire-cache': 1 },
    });
    writeFileSync(join(dir, 'burrow.toml'), config);
    burrow = startProcess(burrowBinary, ['-config-dir', dir], join(dir, 'burrow.log'), burrowEnv);
    burrowUrl = `http://127.0.0.1:${httpPort}`;
    await waitFor(
      async () => {
        if (burrow?.exitCode !== null) throw new Error(`burrow exited with ${burrow?.exitCode}; see ${dir}/burrow.log`);
        const res = await fetch(`${burrowUrl}/v3/kafka`, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
        const body = res?.ok ? ((await res.json()) as { clusters: string[] }) : undefined;
        return body?.clusters.includes(CLUSTER) ? true : undefined;
      },
      START_TIMEOUT_MS,
      `burrow to serve its API (log: ${dir}/burrow.log)`,
      200,
    );

    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();
    producer = kafka.producer();
    await producer.connect();
    let n = 0;
    producing = setInterval(() => void producer.send({ topic, messages: [{ key: `k${n}`, value: `message ${n++}` }] }).catch(() => undefined), PRODUCE_INTERVAL_MS);
  }, 120_000);

  afterAll(async () => {
    if (producing) clearInterval(producing);
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    const admin = kafka.admin();
    await admin.connect().then(() => admin.deleteTopics({ topics: [topic] })).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await stopProcess(burrow);
    await stopProcess(zookeeper);
  }, 60_000);

  it('reports a group that keeps up as OK', async () => {
    consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ autoCommitInterval: 200, eachMessage: async () => undefined });

    // a full window of commits judged OK (a commit Burrow pairs with a stale high watermark may show a
    // message of lag for a moment; a consumer that keeps up gets to OK all the same)
    const healthy = await waitFor(async () => {
      const s = await status();
      return s && s.complete === 1 && s.status === 'OK' ? s : undefined;
    }, STATUS_TIMEOUT_MS, 'burrow to judge a full window of the group OK');
    expect(healthy).toMatchObject({ status: 'OK', partition_count: 1, partitions: [] });
    // /status lists only the partitions in trouble; the worst one is maxlag
    expect(healthy.maxlag).toMatchObject({ topic, partition: 0, status: 'OK' });
  }, 60_000);

  it('reports the group as a problem once its consumer stops and the lag grows', async () => {
    await consumer!.disconnect();
    consumer = undefined;
    const problem = await waitFor(async () => {
      const s = await status();
      return s && s.status !== 'OK' ? s : undefined;
    }, STATUS_TIMEOUT_MS, 'burrow to see the stopped consumer');
    // no commit for longer than the window spans, with lag: the partition stopped, the group in error
    expect(problem.status).toBe('ERR');
    expect(problem.partitions[0]).toMatchObject({ topic, partition: 0, status: 'STOP' });
    expect(problem.totallag).toBeGreaterThan(0);

    // and the lag Burrow reports keeps growing with the topic
    const later = await waitFor(async () => {
      const s = await status();
      return s && s.totallag > problem.totallag ? s : undefined;
    }, STATUS_TIMEOUT_MS, 'the lag to grow');
    expect(later.status).toBe('ERR');
  }, 60_000);
});
