/**
 * An Apache Kafka (KRaft) cluster of the chaos run's own, from the jars infra/kafka/kafka.sh fetches:
 * one broker, or three nodes in combined mode (three controller voters) replicating every topic three
 * times with two in sync required, so one broker at a time may be killed or paused. The java processes
 * are the runner's children, so it holds their pids. Never the shared broker on 9092.
 *
 * Secure as kafka.sh's broker: a SASL_SSL listener (SCRAM-SHA-512, PLAIN for Burrow only) for the clients and
 * between the brokers, the controllers on SASL_PLAINTEXT (PLAIN, as the broker principal), the
 * StandardAuthorizer denying what no ACL allows, the broker principal the only super user. The secrets (a CA,
 * one broker certificate for 127.0.0.1 and localhost that every node serves, a password per principal) are made
 * by `kafka.sh secrets` into a folder of the run's own, and every node's storage is formatted with a SCRAM
 * credential for each principal kafka.sh lists (`kafka.sh principals`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { aclPlan, applyAcls, BROKER_PRINCIPAL, secureClientConfig, type KafkaSettings } from '@paystream/shared/kafka';
import { freePort, waitFor } from '@paystream/shared/testing';
import { ensureGroupCoordinator } from '../kafka-acl/apply-acls';

/** How long a broker may take to answer after a (re)start, log recovery included. */
const BROKER_READY_TIMEOUT_MS = 90_000;
/** Each broker's heap: small, the machine runs the whole stack twice over beside it. */
const BROKER_HEAP_DEFAULT = '320m';
/** The shared broker of the machine: never the chaos run's. */
const SHARED_KAFKA_PORT = 9092;

/** How a node authenticates and authorises: the run's secrets, the broker principal's login, the PLAIN logins. */
export interface BrokerSecurity {
  /** Where `kafka.sh secrets` wrote ca.pem and broker.p12. */
  secretsDir: string;
  brokerPrincipal: string;
  brokerPassword: string;
  /** The password of broker.p12. */
  keystorePassword: string;
  /** The principals that log in with SASL/PLAIN (kafka.sh PLAIN_PRINCIPALS) and their passwords. */
  plainUsers: Record<string, string>;
}

/** The cluster's shape and security: the replication settings follow the broker count. */
export function brokerProperties(opts: { nodeId: number; port: number; controllerPort: number; voters: string; logDir: string; brokers: number; partitions: number; security: BrokerSecurity }): string {
  const rf = opts.brokers >= 3 ? 3 : 1;
  const minIsr = opts.brokers >= 3 ? 2 : 1;
  const sec = opts.security;
  const plainUsers = Object.entries(sec.plainUsers).map(([name, password]) => ` user_${name}="${password}"`).join('');
  return [
    'process.roles=broker,controller',
    `node.id=${opts.nodeId}`,
    `controller.quorum.voters=${opts.voters}`,
    `listeners=SASL_SSL://127.0.0.1:${opts.port},CONTROLLER://127.0.0.1:${opts.controllerPort}`,
    `advertised.listeners=SASL_SSL://127.0.0.1:${opts.port}`,
    'controller.listener.names=CONTROLLER',
    // as infra/kafka/kafka.sh secure_props: SCRAM for the clients and between brokers over TLS; the controllers
    // authenticate with PLAIN as the broker (the SCRAM credentials live in the metadata they serve)
    'listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT',
    'inter.broker.listener.name=SASL_SSL',
    'sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${sec.brokerPrincipal}" password="${sec.brokerPassword}";`,
    `listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required${plainUsers};`,
    'sasl.mechanism.controller.protocol=PLAIN',
    'listener.name.controller.sasl.enabled.mechanisms=PLAIN',
    `listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${sec.brokerPrincipal}" password="${sec.brokerPassword}" user_${sec.brokerPrincipal}="${sec.brokerPassword}";`,
    'ssl.keystore.type=PKCS12',
    `ssl.keystore.location=${join(sec.secretsDir, 'broker.p12')}`,
    `ssl.keystore.password=${sec.keystorePassword}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${join(sec.secretsDir, 'ca.pem')}`,
    'ssl.client.auth=none',
    'ssl.endpoint.identification.algorithm=https',
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found=false',
    `super.users=User:${sec.brokerPrincipal}`,
    `log.dirs=${opts.logDir}`,
    `num.partitions=${opts.partitions}`,
    'auto.create.topics.enable=false',
    `default.replication.factor=${rf}`,
    `min.insync.replicas=${minIsr}`,
    // Kafka's default, said out loud: an out-of-sync replica never becomes leader (no acknowledged write is dropped for availability)
    'unclean.leader.election.enable=false',
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

/** The principals of the secure broker as `kafka.sh principals` prints them. */
export interface KafkaPrincipals {
  /** The broker's own principal, the only super user. */
  broker: string;
  /** Those with a SCRAM-SHA-512 credential (the broker's among them). */
  scram: string[];
  /** Those that log in with SASL/PLAIN. */
  plain: string[];
}

/** Reads `kafka.sh principals`: one kind a line, `<kind> <names...>`. */
export function parsePrincipals(text: string): KafkaPrincipals {
  const lines = new Map(text.split('\n').map((l) => l.trim().split(/\s+/)).filter((w) => w[0]).map(([kind, ...names]) => [kind!, names]));
  const broker = lines.get('broker')?.[0];
  const scram = lines.get('scram') ?? [];
  if (!broker) throw new Error(`kafka.sh principals named no broker principal: ${JSON.stringify(text)}`);
  if (!scram.includes(broker)) throw new Error(`kafka.sh principals: the broker principal ${broker} has no SCRAM credential`);
  return { broker, scram, plain: lines.get('plain') ?? [] };
}

/** The principal list of infra/kafka/kafka.sh (SECURE_PRINCIPALS, PLAIN_PRINCIPALS), the one place it is kept. */
export function kafkaShPrincipals(kafkaSh: string): KafkaPrincipals {
  const run = spawnSync('bash', [kafkaSh, 'principals'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${kafkaSh} principals failed: ${run.stderr || run.stdout}`);
  return parsePrincipals(run.stdout);
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
  private readonly kafkaSh: string;
  /** The CA, the broker's keystore and every principal's password (kafka.sh secrets), for this cluster only. */
  readonly secretsDir: string;

  constructor(
    repoRoot: string,
    private readonly logDir: string,
    readonly brokerCount: 1 | 3,
    private readonly heap = process.env.KAFKA_HEAP ?? BROKER_HEAP_DEFAULT,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'paystream-chaos-kafka-'));
    this.libsDir = process.env.KAFKA_LIBS_DIR ?? join(repoRoot, 'infra', 'kafka', 'libs');
    this.kafkaSh = join(repoRoot, 'infra', 'kafka', 'kafka.sh');
    this.secretsDir = join(logDir, 'kafka-secrets');
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

  /** kafkajs options (brokers, TLS trusting the run's CA, SCRAM) for a client logged in as `principal`. */
  clientConfig(principal: string): ReturnType<typeof secureClientConfig> {
    return secureClientConfig(this.brokers, this.secretsDir, principal);
  }

  /** The connection part of KafkaSettings (createKafka) for a client logged in as `principal`. */
  clientSettings(principal: string): Pick<KafkaSettings, 'brokers' | 'ssl' | 'sasl'> {
    const { brokers, ssl, sasl } = this.clientConfig(principal);
    return { brokers, ssl: { ca: ssl.ca[0]! }, sasl };
  }

  /** The file holding a principal's password (its SCRAM password on this cluster). */
  passwordFile(principal: string): string {
    return join(this.secretsDir, `${principal}.password`);
  }

  /**
   * Puts the ownership ACLs (aclPlan) in place for a topic prefix, as the super user, and has the group
   * coordinator's topic created (as kafka-acl does), so the services' first consumers find it at once.
   */
  async grantAcls(topicPrefix: string): Promise<void> {
    const admin = new Kafka({ clientId: 'chaos-kafka-acls', logLevel: logLevel.NOTHING, retry: { retries: 10 }, ...this.clientConfig(BROKER_PRINCIPAL) }).admin();
    await admin.connect();
    try {
      await applyAcls(admin, aclPlan(topicPrefix));
      await ensureGroupCoordinator(admin);
    } finally {
      await admin.disconnect();
    }
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
    const principals = kafkaShPrincipals(this.kafkaSh);
    const security = this.makeSecrets(principals);
    // every node's metadata starts with every principal's SCRAM credential (the broker's, for the brokers' own logins, among them)
    const scramArgs = principals.scram.flatMap((p) => ['--add-scram', `SCRAM-SHA-512=[name=${p},password=${this.password(p)}]`]);
    const voters = this.nodes.map((n) => `${n.nodeId}@127.0.0.1:${n.controllerPort}`).join(',');
    const clusterId = randomBytes(16).toString('base64url');
    for (const n of this.nodes) {
      // the properties hold passwords: readable by this user only
      writeFileSync(n.props, brokerProperties({ nodeId: n.nodeId, port: n.port, controllerPort: n.controllerPort, voters, logDir: join(this.dir, `logs-${n.nodeId}`), brokers: this.brokerCount, partitions, security }), { mode: 0o600 });
      const format = spawnSync('java', [`-Dlog4j.configuration=file:${this.log4j}`, '-cp', `${this.libsDir}/*`, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', n.props, ...scramArgs], { encoding: 'utf8' });
      if (format.status !== 0) throw new Error(`formatting broker ${n.nodeId} failed: ${format.stderr || format.stdout}`);
    }
    for (const n of this.nodes) this.launch(n);
    await this.waitReady();
  }

  /**
   * A fresh set of secrets for this cluster (`kafka.sh secrets` into secretsDir: its own CA, a certificate for
   * 127.0.0.1 and localhost that all the nodes serve, a password per principal), and what the nodes need of them.
   */
  private makeSecrets(principals: KafkaPrincipals): BrokerSecurity {
    rmSync(this.secretsDir, { recursive: true, force: true });
    const run = spawnSync('bash', [this.kafkaSh, 'secrets'], {
      encoding: 'utf8',
      // client-upstream.json names the first node
      env: { ...process.env, KAFKA_SECURITY: 'sasl_ssl', KAFKA_SECRETS_DIR: this.secretsDir, KAFKA_PORT: String(this.nodes[0]!.port) },
    });
    if (run.status !== 0) throw new Error(`kafka.sh secrets failed: ${run.stderr || run.stdout}`);
    return {
      secretsDir: this.secretsDir,
      brokerPrincipal: principals.broker,
      brokerPassword: this.password(principals.broker),
      keystorePassword: readFileSync(join(this.secretsDir, 'broker-keystore.password'), 'utf8').trim(),
      plainUsers: Object.fromEntries(principals.plain.map((p) => [p, this.password(p)])),
    };
  }

  private password(principal: string): string {
    return readFileSync(this.passwordFile(principal), 'utf8').trim();
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
    // the super user: describing the cluster needs no ACL, but no anonymous client gets in at all
    const kafka = new Kafka({ clientId: 'chaos-kafka-probe', logLevel: logLevel.NOTHING, retry: { retries: 0 }, ...this.clientConfig(BROKER_PRINCIPAL) });
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
    // the cluster is gone: its secrets with it (the logs stay in logDir)
    rmSync(this.secretsDir, { recursive: true, force: true });
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
