/**
 * An Apache Kafka (KRaft) cluster of the chaos run's own, from the jars infra/kafka/kafka.sh fetches:
 * one broker, or three nodes in combined mode (three controller voters) replicating every topic three
 * times with two in sync required, so one broker at a time may be killed or paused. The java processes
 * are the runner's children, so it holds their pids. Never the shared broker on 9092.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { freePort, waitFor } from '@paystream/shared/testing';

/** How long a broker may take to answer after a (re)start, log recovery included. */
const BROKER_READY_TIMEOUT_MS = 90_000;
/** Each broker's heap: small, the machine runs the whole stack twice over beside it. */
const BROKER_HEAP_DEFAULT = '320m';
/** The shared broker of the machine: never the chaos run's. */
const SHARED_KAFKA_PORT = 9092;

/** The cluster's shape: the replication settings follow the broker count. */
export function brokerProperties(opts: { nodeId: number; port: number; controllerPort: number; voters: string; logDir: string; brokers: number; partitions: number }): string {
  const rf = opts.brokers >= 3 ? 3 : 1;
  const minIsr = opts.brokers >= 3 ? 2 : 1;
  return [
    'process.roles=broker,controller',
    `node.id=${opts.nodeId}`,
    `controller.quorum.voters=${opts.voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${opts.port},CONTROLLER://127.0.0.1:${opts.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${opts.port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${opts.logDir}`,
    `num.partitions=${opts.partitions}`,
    'auto.create.topics.enable=false',
    `default.replication.factor=${rf}`,
    `min.insync.replicas=${minIsr}`,
    `offsets.topic.replication.factor=${rf}`,
    'offsets.topic.num.partitions=6',
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${minIsr}`,
    'group.initial.rebalance.delay.ms=0',
    'log.retention.hours=24',
    // a killed broker's replicas fall out of sync quickly and catch up when it returns
    'replica.lag.time.max.ms=10000',
    '',
  ].join('\n');
}

interface Node {
  nodeId: number;
  port: number;
  controllerPort: number;
  props: string;
  child?: ChildProcess;
  paused: boolean;
}

export class OwnKafka {
  private readonly dir: string;
  private readonly nodes: Node[] = [];
  private readonly libsDir: string;
  private readonly log4j: string;

  constructor(
    repoRoot: string,
    private readonly logDir: string,
    readonly brokerCount: 1 | 3,
    private readonly heap = process.env.KAFKA_HEAP ?? BROKER_HEAP_DEFAULT,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'paystream-chaos-kafka-'));
    this.libsDir = process.env.KAFKA_LIBS_DIR ?? join(repoRoot, 'infra', 'kafka', 'libs');
    // infra/kafka's logging, plus what a post-mortem of a killed or paused broker needs: ISR changes and log truncation
    this.log4j = join(this.dir, 'log4j.properties');
    writeFileSync(
      this.log4j,
      `${readFileSync(join(repoRoot, 'infra', 'kafka', 'log4j.properties'), 'utf8')}\n${['kafka.cluster.Partition', 'kafka.log.UnifiedLog', 'org.apache.kafka.storage.internals.log', 'kafka.server.ReplicaFetcherThread'].map((l) => `log4j.logger.${l}=INFO`).join('\n')}\n`,
    );
  }

  /** The bootstrap list the services and clients get. */
  get brokers(): string[] {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`);
  }

  /** Replicas per topic the services should create. */
  get replicationFactor(): number {
    return this.brokerCount >= 3 ? 3 : 1;
  }

  async start(partitions: number): Promise<void> {
    if (!existsSync(join(this.libsDir, '.complete')) && !existsSync(join(this.libsDir, 'kafka-server-common-3.9.1.jar'))) {
      throw new Error(`no Kafka jars in ${this.libsDir}: run \`infra/kafka/kafka.sh fetch\` once (or set KAFKA_LIBS_DIR)`);
    }
    mkdirSync(this.logDir, { recursive: true });
    for (let i = 1; i <= this.brokerCount; i++) {
      let port = await freePort();
      while (port === SHARED_KAFKA_PORT) port = await freePort();
      this.nodes.push({ nodeId: i, port, controllerPort: await freePort(), props: join(this.dir, `server-${i}.properties`), paused: false });
    }
    const voters = this.nodes.map((n) => `${n.nodeId}@127.0.0.1:${n.controllerPort}`).join(',');
    const clusterId = randomBytes(16).toString('base64url');
    for (const n of this.nodes) {
      writeFileSync(n.props, brokerProperties({ nodeId: n.nodeId, port: n.port, controllerPort: n.controllerPort, voters, logDir: join(this.dir, `logs-${n.nodeId}`), brokers: this.brokerCount, partitions }));
      const format = spawnSync('java', [`-Dlog4j.configuration=file:${this.log4j}`, '-cp', `${this.libsDir}/*`, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', n.props], { encoding: 'utf8' });
      if (format.status !== 0) throw new Error(`formatting broker ${n.nodeId} failed: ${format.stderr || format.stdout}`);
    }
    for (const n of this.nodes) this.launch(n);
    await this.waitReady();
  }

  pid(nodeId: number): number | undefined {
    const c = this.node(nodeId).child;
    return c && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
  }

  /** SIGKILL one broker (no controlled shutdown; its log is recovered at the next start). */
  async kill(nodeId: number): Promise<void> {
    const n = this.node(nodeId);
    const child = n.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    n.child = undefined;
    n.paused = false;
  }

  /** Starts a killed broker again and waits until the cluster answers with every broker. */
  async restart(nodeId: number): Promise<void> {
    await this.kill(nodeId);
    this.launch(this.node(nodeId));
    await this.waitReady();
  }

  /** SIGSTOP: the broker holds its sockets open and answers nothing, as a long GC pause or a hung VM would. */
  pause(nodeId: number): void {
    const n = this.node(nodeId);
    if (n.child?.pid && !n.paused) {
      n.child.kill('SIGSTOP');
      n.paused = true;
    }
  }

  resume(nodeId: number): void {
    const n = this.node(nodeId);
    if (n.child?.pid && n.paused) {
      n.child.kill('SIGCONT');
      n.paused = false;
    }
  }

  /** Every broker running and answering: resumes the paused, restarts the dead. */
  async heal(): Promise<void> {
    for (const n of this.nodes) this.resume(n.nodeId);
    for (const n of this.nodes) if (!this.pid(n.nodeId)) this.launch(n);
    await this.waitReady();
  }

  /** Waits until the cluster lists all its brokers (a restarted one has rejoined). */
  async waitReady(): Promise<void> {
    const kafka = new Kafka({ clientId: 'chaos-kafka-probe', brokers: this.brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    await waitFor(
      async () => {
        for (const n of this.nodes) {
          if (n.child && (n.child.exitCode !== null || n.child.signalCode !== null) && !n.paused) throw new Error(`broker ${n.nodeId} exited; see ${this.logFile(n.nodeId)}`);
        }
        const admin = kafka.admin();
        try {
          await admin.connect();
          const cluster = await admin.describeCluster();
          return cluster.brokers.length >= this.nodes.length && cluster.controller !== null ? true : undefined;
        } finally {
          await admin.disconnect().catch(() => undefined);
        }
      },
      BROKER_READY_TIMEOUT_MS,
      `the chaos Kafka cluster (${this.brokers.join(',')}) to list all its brokers`,
      500,
    );
  }

  logFile(nodeId: number): string {
    return join(this.logDir, `kafka-${nodeId}.log`);
  }

  async dispose(): Promise<void> {
    for (const n of this.nodes) {
      this.resume(n.nodeId);
      await this.kill(n.nodeId);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private node(nodeId: number): Node {
    const n = this.nodes.find((x) => x.nodeId === nodeId);
    if (!n) throw new Error(`no broker ${nodeId}`);
    return n;
  }

  private launch(n: Node): void {
    const log = createWriteStream(this.logFile(n.nodeId), { flags: 'a' });
    const child = spawn('java', [`-Xms128m`, `-Xmx${this.heap}`, '-XX:+UseG1GC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true', `-Dlog4j.configuration=file:${this.log4j}`, '-cp', `${this.libsDir}/*`, 'kafka.Kafka', n.props], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    n.child = child;
    n.paused = false;
  }
}
