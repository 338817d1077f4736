import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { parseMetricsText, type MetricSample } from '@paystream/ops/domain';
import { OpsModule, type OpsStatus } from '@paystream/ops/feature-monitor';
import { OPS_METRIC_NAMES } from '@paystream/shared/observability';
import { Platform, startInProcessApp } from '@paystream/shared/platform';
import { authenticateInjects, dropSchemas, freePort, testKafkaConfig, testDatabaseUrl, testServiceEnv, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { loadOpsAppConfig } from './config';

/** The monitoring token the stub services ask for on /metrics (ops reads it from OPS_MONITORING_TOKEN_FILE). */
const MONITORING_TOKEN = 'svc_monitoring_stub.stub-secret';

/** A service answering /health (200) and /metrics (with the monitoring token only), as the real ones do. */
async function stubService(metrics: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url === '/health') res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    else if (req.url === '/metrics' && req.headers.authorization !== `Bearer ${MONITORING_TOKEN}`) res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"AUTH_MISSING"}}');
    else if (req.url === '/metrics') res.writeHead(200, { 'content-type': 'text/plain' }).end(metrics);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

describe('ops lag exporter on the real broker', () => {
  const prefix = uniqueTopicPrefix('ops');
  const schema = uniqueId('ops_');
  const topic = 'lag.test.v1';
  const kafka = new Kafka({ clientId: uniqueId('ops-spec'), ...testKafkaConfig(), logLevel: logLevel.NOTHING });
  let producer: Producer;
  let consumer: Consumer;
  let stuck: Consumer;
  let releaseStuck: () => void = () => undefined;
  let app: NestFastifyApplication;
  let service: { url: string; server: Server };

  const metrics = async (): Promise<MetricSample[]> => parseMetricsText((await app.inject({ method: 'GET', url: '/metrics' })).body);
  const value = (samples: MetricSample[], name: string, labels: Record<string, string>) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  const group = (samples: MetricSample[], g: string) => ({
    lagTotal: value(samples, OPS_METRIC_NAMES.consumerGroupLagTotal, { group: g }),
    members: value(samples, OPS_METRIC_NAMES.consumerGroupMembers, { group: g }),
    stalled: value(samples, OPS_METRIC_NAMES.consumerGroupStalled, { group: g }),
  });
  const produce = (n: number, to = topic) =>
    producer.send({ topic: `${prefix}${to}`, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `m${i}` })) });

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [topic, 'stuck.test.v1', `${topic}.dlq`].map((t) => ({ topic: `${prefix}${t}`, numPartitions: 2 })), waitForLeaders: true });
    await admin.disconnect();
    producer = kafka.producer();
    await producer.connect();
    service = await stubService('paystream_p_success{service="order-payment"} 0.75\n');
    const closedPort = await freePort();
    const tokenFile = join(mkdtempSync(join(tmpdir(), 'ops-')), 'monitoring-token');
    writeFileSync(tokenFile, `${MONITORING_TOKEN}\n`, { mode: 0o600 });
    const config = loadOpsAppConfig(
      await testServiceEnv('OPS', { schema, topicPrefix: prefix }, {
        OPS_POLL_INTERVAL_MS: '300',
        OPS_STALL_AFTER_MS: '2000',
        ORDER_PAYMENT_URL: service.url,
        CHANNEL_GATEWAY_URL: service.url,
        RISK_URL: service.url,
        SETTLEMENT_URL: `http://127.0.0.1:${closedPort}`,
        MERCHANT_URL: service.url,
        OPS_MONITORING_TOKEN_FILE: tokenFile,
      }),
    );
    app = await startInProcessApp(OpsModule.forRoot(config));
    // /metrics as service:monitoring, /status.json as an sre (ops enforces its routes' @Allow)
    authenticateInjects(app, app.get(Platform, { strict: false }).ds);
  });

  afterAll(async () => {
    releaseStuck();
    await consumer?.disconnect().catch(() => undefined);
    await stuck?.disconnect().catch(() => undefined);
    await producer?.disconnect();
    await app?.close();
    service?.server.close();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('sees a consuming group keep up, then stalled with growing lag once its consumer is gone', async () => {
    consumer = kafka.consumer({ groupId: `${prefix}paystream.lagtest`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}${topic}`, fromBeginning: true });
    let consumed = 0;
    await consumer.run({ autoCommitInterval: 100, eachMessage: async () => void consumed++ });
    await produce(20);
    // caught up, one live member, and still not stalled after longer than the stall time
    await waitFor(async () => {
      const g = group(await metrics(), 'paystream.lagtest');
      return g.lagTotal === 0 && g.members === 1 ? g : undefined;
    }, 30_000, 'the group to catch up');
    await new Promise((r) => setTimeout(r, 2_500));
    expect(group(await metrics(), 'paystream.lagtest')).toEqual({ lagTotal: 0, members: 1, stalled: 0 });
    expect(consumed).toBe(20);

    await consumer.disconnect();
    await produce(15);
    const gone = await waitFor(async () => {
      const g = group(await metrics(), 'paystream.lagtest');
      return g.lagTotal === 15 && g.members === 0 ? g : undefined;
    }, 30_000, 'lag 15 with no member');
    expect(gone.stalled).toBe(1);
    const samples = await metrics();
    const perPartition = samples.filter((s) => s.name === OPS_METRIC_NAMES.consumerGroupLag && s.labels.group === 'paystream.lagtest');
    expect(perPartition.map((s) => s.labels.topic)).toEqual([topic, topic]);
    expect(perPartition.reduce((a, s) => a + s.value, 0)).toBe(15);
    await produce(5);
    await waitFor(async () => (group(await metrics(), 'paystream.lagtest').lagTotal === 20 ? true : undefined), 30_000, 'the lag to grow to 20');
    const status = (await app.inject({ method: 'GET', url: '/status.json' })).json<OpsStatus>();
    expect(status.groups.find((g) => g.group === 'paystream.lagtest')).toMatchObject({ lagTotal: 20, members: 0, stalled: true, stallReason: 'no-members' });
  });

  it('calls a group stalled whose live consumer does not commit while lag builds', async () => {
    stuck = kafka.consumer({ groupId: `${prefix}paystream.stucktest`, maxWaitTimeInMs: 100 });
    await stuck.connect();
    await stuck.subscribe({ topic: `${prefix}stuck.test.v1`, fromBeginning: true });
    const gate = new Promise<void>((r) => (releaseStuck = r));
    await stuck.run({ autoCommitInterval: 100, eachMessage: () => gate });
    await produce(6, 'stuck.test.v1');
    const status = await waitFor(async () => {
      const s = (await app.inject({ method: 'GET', url: '/status.json' })).json<OpsStatus>();
      const g = s.groups.find((x) => x.group === 'paystream.stucktest');
      return g?.stalled ? g : undefined;
    }, 30_000, 'the stuck group to be called stalled');
    expect(status).toMatchObject({ members: 1, lagTotal: 6, stallReason: 'commit-not-advancing' });
    expect(Math.min(...status.partitions.filter((p) => p.lag > 0).map((p) => p.commitAgeSeconds))).toBeGreaterThanOrEqual(2);
    expect(value(await metrics(), OPS_METRIC_NAMES.consumerGroupStalled, { group: 'paystream.stucktest' })).toBe(1);
  });

  it('counts dead letters per DLQ topic and probes every service', async () => {
    await produce(3, `${topic}.dlq`);
    await waitFor(async () => (value(await metrics(), OPS_METRIC_NAMES.dlqMessages, { topic: `${topic}.dlq` }) === 3 ? true : undefined), 30_000, 'DLQ depth 3');
    const samples = await metrics();
    expect(['order-payment', 'channel-gateway', 'risk', 'settlement', 'merchant'].map((service) => value(samples, OPS_METRIC_NAMES.serviceUp, { service }))).toEqual([1, 1, 1, 0, 1]);
    // only this stack's groups: nothing outside the topic prefix or the paystream.* pattern (ops' own: its credential copy's consumer)
    expect(new Set(samples.filter((s) => s.name === OPS_METRIC_NAMES.consumerGroupMembers).map((s) => s.labels.group))).toEqual(new Set(['paystream.lagtest', 'paystream.stucktest', 'paystream.ops']));
    const status = (await app.inject({ method: 'GET', url: '/status.json' })).json<OpsStatus>();
    // read from the services' /metrics with the monitoring token
    expect(status.ratios.p_success.latest).toBe(0.75);
    expect(status.services.filter((s) => s.metricsDetail)).toEqual([]);
    expect(status.services.find((s) => s.service === 'settlement')).toMatchObject({ up: false, detail: expect.stringContaining('ECONNREFUSED') });
  });
});
