import { connect, createServer, type Server, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { uniqueId } from './infra';
import { TEST_KAFKA_BROKERS, testKafkaConfig } from './test-kafka';

/** What the gate does with traffic: pass it, drop connections (broker down), or swallow it (broker hung). */
export type BrokerGateMode = 'open' | 'refuse' | 'blackhole';

/**
 * A TCP proxy in front of the shared test broker, to play a broker outage for one client without
 * touching the broker. Clients from kafka() reach every broker address through it.
 */
export class BrokerGate {
  private server: Server | undefined;
  private port = 0;
  private mode: BrokerGateMode = 'open';
  private readonly connections = new Set<Socket>();
  private readonly upstream = TEST_KAFKA_BROKERS[0]!.split(':');

  async start(): Promise<this> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /**
   * Switches the gate. 'refuse' drops every connection, 'blackhole' keeps them but never answers;
   * leaving either drops the connections, so clients start over on a clean stream.
   */
  set(mode: BrokerGateMode): void {
    const previous = this.mode;
    this.mode = mode;
    if (mode === 'refuse' || (mode === 'open' && previous !== 'open')) this.dropAll();
  }

  /**
   * A kafkajs client whose connections all go through the gate (as the test harness's principal unless
   * `config` says otherwise). TLS, when the broker speaks it, runs end to end: the gate relays bytes.
   */
  kafka(config: Partial<KafkaConfig> = {}): Kafka {
    return new Kafka({
      clientId: uniqueId('gated'),
      ...testKafkaConfig(),
      logLevel: logLevel.NOTHING,
      retry: { retries: 2, initialRetryTime: 100 },
      ...config,
      socketFactory: ({ onConnect, ssl }) => {
        const socket = ssl
          ? connectTls({ host: '127.0.0.1', port: this.port, ...(typeof ssl === 'object' ? (ssl as ConnectionOptions) : {}) }, onConnect)
          : connect({ host: '127.0.0.1', port: this.port }, onConnect);
        socket.setKeepAlive(true);
        return socket;
      },
    });
  }

  async stop(): Promise<void> {
    this.mode = 'refuse';
    this.dropAll();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: Socket): void {
    if (this.mode === 'refuse') {
      client.destroy();
      return;
    }
    const upstream = connect({ host: this.upstream[0], port: Number(this.upstream[1] ?? 9092) });
    for (const s of [client, upstream]) {
      this.connections.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.connections.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk) => {
      if (this.mode === 'open') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (this.mode === 'open') client.write(chunk);
    });
  }

  private dropAll(): void {
    for (const s of this.connections) s.destroy();
    this.connections.clear();
  }
}
