/**
 * docker-compose.yml, read as `docker compose up --build` would start it on a fresh clone (and with
 * docker-compose.three-brokers.yml over it): every Paystream service's own configuration loader runs on
 * the environment and the mounts compose gives it, in a stand-in for its container's file system (the
 * image holds no secrets; only mounts do), after the one-shot init services wrote their volume (the
 * app's init by its own code, kafka-init by its script). A service that would refuse to start (a variable
 * without a default missing, a file its configuration points at absent) fails this spec, and so does a
 * Kafka that is not the locked-down broker or a service that does not reach it as its own principal.
 * No Docker engine needed.
 */
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { load } from 'js-yaml';
import type { KafkaSettings } from '@paystream/shared/kafka';
import { loadPlatformConfig } from '@paystream/shared/platform';
// This spec reads the whole deployment, so it runs every process's own start-up loader and the init's
// secrets code: the one place in tools that imports across the project boundaries, on purpose (test only).
/* eslint-disable @nx/enforce-module-boundaries */
import { loadEmulatorConfig } from '@paystream/channel-emulator/sandbox';
import { loadGatewayConfig } from '../../apps/channel-gateway/src/config';
import { loadMerchantConfig } from '../../apps/merchant/src/config';
import { loadOpsAppConfig } from '../../apps/ops/src/config';
import { loadRiskConfig } from '../../apps/risk/src/config';
import { loadSettlementConfig } from '../../apps/settlement/src/config';
import { COMPOSE_SECRET_FILES, ensureFileSecrets } from '../admin/compose-secrets';
/* eslint-enable @nx/enforce-module-boundaries */
import { ACL_PRINCIPALS } from '@paystream/shared/kafka';

type Env = Record<string, string | undefined>;

/** The subset of the compose format this spec reads (anything else fails it, so the subset stays honest). */
interface ComposeService {
  build?: unknown;
  image?: string;
  user?: string;
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  group_add?: string[];
  healthcheck?: { test?: string[]; interval?: string; timeout?: string; retries?: number };
  restart?: string;
}

const ROOT = resolve(__dirname, '../..');
/** The image's WORKDIR (Dockerfile): relative paths a service reads resolve there. */
const IMAGE_WORKDIR = '/app';
const INIT_ENTRY = 'dist/tools/admin/compose-init.js';
/** The ACL job's entry point in the image (tools/kafka-acl/main.ts). */
const ACL_ENTRY = 'dist/tools/kafka-acl/main.js';
/** The secure broker's script for the apache/kafka image (kafka-init: `secrets`, a node: `run`, its healthcheck: `health`). */
const KAFKA_SCRIPT = 'infra/compose/secure-kafka.sh';
/** The one super user: the brokers themselves, and the ACL job. */
const BROKER_PRINCIPAL = 'kafka-broker';
/** What `docker compose up` reads: the file alone, and with the three-broker override over it. */
const DEPLOYMENTS: string[][] = [['docker-compose.yml'], ['docker-compose.yml', 'docker-compose.three-brokers.yml']];

/** Each SERVICE the image runs, and the loader its main.ts starts with (it throws a ConfigError when it would refuse to start). */
const START_UP_LOADERS: Record<string, (env: Env) => unknown> = {
  'order-payment': (env) => loadPlatformConfig('order-payment', env),
  'channel-gateway': loadGatewayConfig,
  risk: loadRiskConfig,
  merchant: loadMerchantConfig,
  settlement: loadSettlementConfig,
  ops: loadOpsAppConfig,
  'channel-emulator': loadEmulatorConfig,
};

/**
 * A compose value as a user who exported nothing gets it: `${X:-default}` is the default; `${X}`,
 * `${X:?message}` (compose refuses to start) and `$X` are missing, so the whole value is.
 */
export function interpolate(value: string): string | undefined {
  let missing = false;
  const text = value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*)|(:?\?)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, _name, dash, fallback) => {
    if (whole === '$$') return '$';
    if (dash !== undefined) return fallback as string;
    missing = true;
    return '';
  });
  return missing ? undefined : text;
}

function mounts(service: ComposeService): { source: string; target: string; readOnly: boolean }[] {
  return (service.volumes ?? []).map((v) => {
    if (typeof v !== 'string') throw new Error(`only the short volume syntax is read here: ${JSON.stringify(v)}`);
    const [source, target, mode] = v.split(':');
    return { source: source!, target: target!, readOnly: mode === 'ro' };
  });
}

const isBind = (source: string) => source.startsWith('.') || source.startsWith('/');

function dependsOn(service: ComposeService, name: string): string | undefined {
  const d = service.depends_on;
  if (d === undefined) return undefined;
  if (Array.isArray(d)) return d.includes(name) ? 'service_started' : undefined;
  return d[name]?.condition;
}

/** A stand-in for one container's file system: each mount a symlink to its source (a named volume: a directory here). */
class ContainerFs {
  readonly root: string;
  constructor(base: string, name: string, service: ComposeService, volumeDir: (name: string) => string) {
    this.root = join(base, 'containers', name);
    mkdirSync(join(this.root, IMAGE_WORKDIR), { recursive: true });
    for (const m of mounts(service)) {
      let source: string;
      if (isBind(m.source)) {
        source = resolve(ROOT, m.source);
        // .run/ is not in a fresh clone (gitignored): only scripts/setup.sh writes it
        if (relative(ROOT, source).split('/')[0] === '.run') source = join(base, 'absent', relative(ROOT, source));
      } else {
        source = volumeDir(m.source);
      }
      const at = this.path(m.target);
      mkdirSync(dirname(at), { recursive: true });
      symlinkSync(source, at);
    }
  }
  /** Where a container path is here. */
  path(containerPath: string): string {
    return join(this.root, containerPath);
  }
  /** The service's environment with absolute paths moved into this file system. */
  env(service: ComposeService): Env {
    const env: Env = {};
    for (const [key, raw] of Object.entries(service.environment ?? {})) {
      const value = raw === null ? undefined : interpolate(String(raw));
      env[key] = value?.startsWith('/') ? this.path(value) : value;
    }
    return env;
  }
  /** Runs fn in the image's working directory (relative defaults such as .run/keys resolve there, as in the container). */
  inWorkdir<T>(fn: () => T): T {
    const before = process.cwd();
    process.chdir(this.path(IMAGE_WORKDIR));
    try {
      return fn();
    } finally {
      process.chdir(before);
    }
  }
}

/** Compose's merge of an override file into a service (the subset read here): maps merge, volumes by their target, ports add up, anything else is replaced. */
function mergeService(base: ComposeService, over: ComposeService): ComposeService {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const before = merged[key];
    if (key === 'volumes') {
      const targets = new Set(mounts(over).map((m) => m.target));
      merged[key] = [...(base.volumes ?? []).filter((v) => !targets.has(v.split(':')[1]!)), ...(value as string[])];
    } else if (key === 'ports') {
      merged[key] = [...(base.ports ?? []), ...(value as string[])];
    } else if (before && typeof before === 'object' && !Array.isArray(before) && value && typeof value === 'object' && !Array.isArray(value)) {
      merged[key] = { ...before, ...value };
    } else {
      merged[key] = value;
    }
  }
  return merged as ComposeService;
}

/** The services `docker compose -f a -f b up` runs. */
function composeServices(files: string[]): Record<string, ComposeService> {
  const services: Record<string, ComposeService> = {};
  for (const file of files) {
    const doc = load(readFileSync(join(ROOT, file), 'utf8')) as { services: Record<string, ComposeService> };
    for (const [name, s] of Object.entries(doc.services)) services[name] = services[name] ? mergeService(services[name]!, s) : s;
  }
  return services;
}

/** A server.properties file as Kafka reads it (key=value, the first '=' splits). */
function parseProperties(text: string): Record<string, string> {
  const entries = text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
  return Object.fromEntries(entries);
}

/** The `host:port` a listener of a node advertises (advertised.listeners), e.g. INTERNAL. */
function advertised(props: Record<string, string>, listener: string): string | undefined {
  return (props['advertised.listeners'] ?? '')
    .split(',')
    .find((l) => l.startsWith(`${listener}://`))
    ?.slice(listener.length + 3);
}

/** Where compose mounts the secure broker's script into a container (a bind mount of KAFKA_SCRIPT). */
const scriptTarget = (service: ComposeService) => mounts(service).find((m) => isBind(m.source) && resolve(ROOT, m.source) === resolve(ROOT, KAFKA_SCRIPT))?.target;

/** The KafkaSettings a loaded configuration holds (ops has its own and its platform's). */
function kafkaSettingsOf(config: unknown): KafkaSettings[] {
  const c = config as { kafka?: KafkaSettings; platform?: { kafka?: KafkaSettings } };
  return [c.kafka, c.platform?.kafka].filter((k): k is KafkaSettings => k !== undefined);
}

/** The SCRAM principals of the compose broker: every principal of the ACL plan but Burrow's (SASL/PLAIN; no Burrow in the compose stack). */
const KAFKA_PRINCIPALS: readonly string[] = ACL_PRINCIPALS.filter((p) => p !== 'burrow');
/** The principals that are no service of the stack: the upstream systems and the operators' tools (npm run dlq, npm run audit). */
const NOT_SERVICES: readonly string[] = ['upstream', 'dlq-replay', 'auditor'];

describe.each(DEPLOYMENTS.map((files) => [files.join(' + '), files] as const))('%s', (_name, files) => {
  const services = composeServices(files);
  const oneShots = new Set(Object.values(services).flatMap((s) => Object.entries(s.depends_on && !Array.isArray(s.depends_on) ? s.depends_on : {}).filter(([, d]) => d.condition === 'service_completed_successfully').map(([n]) => n)));
  const initNames = Object.keys(services).filter((n) => services[n]!.command?.includes(INIT_ENTRY));
  // the one-shots that write a named volume (the app's init, kafka-init); the readers of it wait for them
  const writers = Object.keys(services).filter((n) => oneShots.has(n) && mounts(services[n]!).some((m) => !isBind(m.source) && !m.readOnly));
  const shellWriters = writers.filter((n) => !initNames.includes(n));
  const paystream = Object.keys(services).filter((n) => services[n]!.build !== undefined && services[n]!.environment?.SERVICE !== undefined);
  const brokers = Object.keys(services).filter((n) => scriptTarget(services[n]!) !== undefined && services[n]!.command?.at(-1) === 'run');
  const aclJobs = Object.keys(services).filter((n) => services[n]!.command?.includes(ACL_ENTRY));
  const kafkaUsers = paystream.filter((n) => KAFKA_PRINCIPALS.includes(String(services[n]!.environment?.SERVICE)));

  let base: string;
  let fs: Record<string, ContainerFs>;
  /** What `secure-kafka.sh run` would start each node with. */
  let nodeProperties: Record<string, Record<string, string>>;
  /** Where kafka-init wrote the Kafka secrets (here). */
  let kafkaSecretsDir: string;

  /** Runs `argv` (container paths moved into its stand-in) and then `extra` as given, with the container's environment. */
  function runIn(name: string, argv: string[], extra: string[] = []): ReturnType<typeof spawnSync> {
    const container = fs[name]!;
    const [command, ...args] = argv.map((a) => (a.startsWith('/') ? container.path(a) : a));
    return spawnSync(command!, [...args, ...extra], { env: { PATH: process.env.PATH, TMPDIR: base, ...container.env(services[name]!) }, encoding: 'utf8', timeout: 60_000 });
  }

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'compose-'));
    const volumeDir = (name: string) => {
      const dir = join(base, 'volumes', name);
      mkdirSync(dir, { recursive: true });
      return dir;
    };
    fs = Object.fromEntries(Object.entries(services).map(([name, s]) => [name, new ContainerFs(base, name, s, volumeDir)]));
    // what the init service writes: the file secrets by the very code it runs; the registry's tokens as it
    // writes them (ensureIssuedTokens, proved in compose-secrets.spec.ts), here without a registry to issue them
    for (const name of initNames) {
      const command = services[name]!.command!;
      const dir = fs[name]!.path(command[command.indexOf(INIT_ENTRY) + 1] ?? '/etc/paystream');
      ensureFileSecrets(dir);
      writeFileSync(join(dir, COMPOSE_SECRET_FILES.adminToken), 'op_admin0000000000000000000000.secret');
      writeFileSync(join(dir, COMPOSE_SECRET_FILES.operatorToken), 'op_demo00000000000000000000000.secret');
      writeFileSync(join(dir, COMPOSE_SECRET_FILES.monitoringToken), 'svc_monitoring_0000000000000000000000.secret');
      writeFileSync(join(dir, COMPOSE_SECRET_FILES.settlementCredentialId), 'svc_settlement_0123456789abcdefghijkl');
    }
    // the other one-shots (kafka-init) run their very command, after the app's init (compose orders them so)
    for (const name of shellWriters) {
      const run = runIn(name, services[name]!.command!);
      if (run.status !== 0) throw new Error(`${name} failed in its stand-in: ${run.stderr}`);
    }
    const kafkaInit = shellWriters.find((n) => services[n]!.command?.at(-1) === 'secrets');
    kafkaSecretsDir = kafkaInit ? fs[kafkaInit]!.path(String(services[kafkaInit]!.environment?.KAFKA_SECRETS_DIR)) : join(base, 'no-kafka-init');
    nodeProperties = {};
    for (const name of brokers) {
      const out = join(base, `${name}.properties`);
      const run = runIn(name, [...services[name]!.command!.slice(0, -1), 'properties'], [out]);
      if (run.status !== 0) throw new Error(`${name}: ${KAFKA_SCRIPT} properties failed: ${run.stderr}`);
      nodeProperties[name] = parseProperties(readFileSync(out, 'utf8'));
    }
  });

  afterAll(() => rmSync(base, { recursive: true, force: true }));

  describe('starts every Paystream service without a setup run', () => {
    it('runs each Paystream process the image has a loader for', () => {
      expect(paystream.map((n) => String(services[n]!.environment?.SERVICE)).sort()).toEqual(Object.keys(START_UP_LOADERS).sort());
    });

    it.each(paystream)('%s: its configuration loads from what compose gives it (variables, mounted files)', (name) => {
      const service = services[name]!;
      const container = fs[name]!;
      const loader = START_UP_LOADERS[String(service.environment?.SERVICE)]!;
      expect(() => container.inWorkdir(() => loader(container.env(service)))).not.toThrow();
    });

    it('settlement bears its service credential to the gateway (reconciliation)', () => {
      const c = fs.settlement!.inWorkdir(() => loadSettlementConfig(fs.settlement!.env(services.settlement!)));
      expect(c.reconcile.serviceToken).toMatch(/^svc_settlement_/);
    });

    it('ops scrapes the services with the monitoring token', () => {
      const c = fs.ops!.inWorkdir(() => loadOpsAppConfig(fs.ops!.env(services.ops!)));
      expect(c.monitor.targets.length).toBeGreaterThan(0);
      expect(c.monitor.targets.every((t) => t.metricsToken !== undefined)).toBe(true);
    });

    it('prometheus finds the bearer token file of every scrape job', () => {
      const config = load(readFileSync(join(ROOT, 'infra/prometheus/prometheus.compose.yml'), 'utf8')) as { scrape_configs: { bearer_token_file?: string }[] };
      const files = [...new Set(config.scrape_configs.map((j) => j.bearer_token_file).filter((f): f is string => f !== undefined))];
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) expect([f, existsSync(fs.prometheus!.path(f))]).toEqual([f, true]);
    });

    it('every container reading a volume the one-shots write waits for each of them to finish, and mounts it read-only', () => {
      const written = new Set(writers.flatMap((n) => mounts(services[n]!).filter((m) => !isBind(m.source) && !m.readOnly).map((m) => m.source)));
      expect(written.size).toBeGreaterThan(0);
      for (const volume of written) {
        const its = writers.filter((n) => mounts(services[n]!).some((m) => m.source === volume && !m.readOnly));
        const readers = Object.keys(services).filter((n) => !writers.includes(n) && mounts(services[n]!).some((m) => m.source === volume));
        for (const n of readers) {
          expect([n, its.map((w) => dependsOn(services[n]!, w))]).toEqual([n, its.map(() => 'service_completed_successfully')]);
          expect([n, mounts(services[n]!).filter((m) => m.source === volume).every((m) => m.readOnly)]).toEqual([n, true]);
        }
        // the app's init writes a volume first (it makes it the node user's); the others after it
        for (const w of its.filter((n) => !initNames.includes(n))) expect([w, initNames.map((i) => dependsOn(services[w]!, i))]).toEqual([w, initNames.map(() => 'service_completed_successfully')]);
      }
    });

    it('the init issues its tokens after Postgres is healthy (the merchant registry)', () => {
      expect(initNames.length).toBe(1);
      expect(dependsOn(services[initNames[0]!]!, 'postgres')).toBe('service_healthy');
    });
  });

  describe('Kafka is the locked-down broker, and each service reaches it as its own principal', () => {
    it('runs Apache Kafka 3.9 nodes from the secure script, each healthy only when kafka-broker can log in', () => {
      expect(brokers.length).toBeGreaterThan(0);
      for (const n of brokers) {
        const s = services[n]!;
        expect([n, s.image]).toEqual([n, expect.stringMatching(/^apache\/kafka:3\.9\.\d+$/)]);
        expect([n, s.command]).toEqual([n, ['bash', scriptTarget(s), 'run']]);
        expect([n, s.healthcheck?.test]).toEqual([n, ['CMD', 'bash', scriptTarget(s), 'health']]);
      }
      // nothing else in the stack runs a broker (the PLAINTEXT one is gone)
      expect(Object.keys(services).filter((n) => services[n]!.image?.startsWith('apache/kafka') && !brokers.includes(n) && !shellWriters.includes(n))).toEqual([]);
    });

    it('every listener of every node is SASL_SSL (SCRAM-SHA-512; the quorum PLAIN over TLS), the StandardAuthorizer denies what no ACL allows, kafka-broker is the one super user', () => {
      expect(brokers.length).toBeGreaterThan(0);
      for (const n of brokers) {
        const p = nodeProperties[n]!;
        const protocols = p['listener.security.protocol.map']!.split(',').map((e) => e.split(':'));
        expect([n, protocols.map(([, protocol]) => protocol)]).toEqual([n, protocols.map(() => 'SASL_SSL')]);
        const listenerNames = p.listeners!.split(',').map((l) => l.split('://')[0]);
        expect([n, listenerNames.every((l) => protocols.some(([name]) => name === l))]).toEqual([n, true]);
        expect([n, p['sasl.enabled.mechanisms'], p['sasl.mechanism.inter.broker.protocol']]).toEqual([n, 'SCRAM-SHA-512', 'SCRAM-SHA-512']);
        expect([n, p['authorizer.class.name'], p['allow.everyone.if.no.acl.found'], p['super.users']]).toEqual([n, 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'false', `User:${BROKER_PRINCIPAL}`]);
        expect([n, p['ssl.endpoint.identification.algorithm'], p['auto.create.topics.enable']]).toEqual([n, 'https', 'false']);
      }
    });

    it("each node's certificate is signed by the CA the services trust and names its host (and 127.0.0.1, where the host's tools reach it)", () => {
      expect(brokers.length).toBeGreaterThan(0);
      const ca = new X509Certificate(readFileSync(join(kafkaSecretsDir, 'ca.pem')));
      for (const n of brokers) {
        const p = nodeProperties[n]!;
        const host = advertised(p, 'INTERNAL')!.split(':')[0]!;
        const cert = new X509Certificate(readFileSync(p['ssl.keystore.location']!.replace(/\.p12$/, '.pem')));
        expect([n, cert.verify(ca.publicKey), cert.checkHost(host), cert.checkIP('127.0.0.1')]).toEqual([n, true, host, '127.0.0.1']);
        expect([n, existsSync(p['ssl.keystore.location']!)]).toEqual([n, true]);
      }
    });

    it('the nodes form one quorum of distinct voters, and the internal topics are replicated as the cluster allows (3 replicas, 2 in sync, from three nodes)', () => {
      expect(brokers.length).toBeGreaterThan(0);
      const voters = brokers.map((n) => {
        const p = nodeProperties[n]!;
        const controller = p.listeners!.split(',').find((l) => l.startsWith('CONTROLLER://'))!;
        return `${p['node.id']}@${advertised(p, 'INTERNAL')!.split(':')[0]}:${controller.split(':').at(-1)}`;
      });
      expect(new Set(brokers.map((n) => nodeProperties[n]!['node.id'])).size).toBe(brokers.length);
      const replicas = String(Math.min(3, brokers.length));
      const inSync = brokers.length >= 3 ? '2' : '1';
      for (const n of brokers) {
        const p = nodeProperties[n]!;
        expect([n, p['controller.quorum.voters']!.split(',').sort()]).toEqual([n, voters.sort()]);
        expect([n, p['offsets.topic.replication.factor'], p['transaction.state.log.replication.factor'], p['default.replication.factor']]).toEqual([n, replicas, replicas, replicas]);
        expect([n, p['min.insync.replicas'], p['transaction.state.log.min.isr']]).toEqual([n, inSync, inSync]);
      }
    });

    it('kafka-init gives each principal of the ACL plan, and kafka-broker, a password of its own (0600)', () => {
      const script = readFileSync(join(ROOT, KAFKA_SCRIPT), 'utf8');
      expect(/^PRINCIPALS="([^"]*)"/m.exec(script)?.[1]?.split(' ')).toEqual([...KAFKA_PRINCIPALS]);
      const passwords = [BROKER_PRINCIPAL, ...KAFKA_PRINCIPALS].map((p) => readFileSync(join(kafkaSecretsDir, `${p}.password`), 'utf8').trim());
      expect(new Set(passwords).size).toBe(passwords.length);
      for (const p of [BROKER_PRINCIPAL, ...KAFKA_PRINCIPALS]) expect([p, (statSync(join(kafkaSecretsDir, `${p}.password`)).mode & 0o777).toString(8)]).toEqual([p, '600']);
    });

    it('runs every Kafka-using Paystream service the ACL plan knows', () => {
      expect(kafkaUsers.map((n) => String(services[n]!.environment?.SERVICE)).sort()).toEqual(KAFKA_PRINCIPALS.filter((p) => !NOT_SERVICES.includes(p)).sort());
    });

    it.each(kafkaUsers)('%s: connects over TLS (trusting the CA) to every node as its own principal, with its own password, and creates its topics with the replicas the cluster has', (name) => {
      const service = services[name]!;
      const container = fs[name]!;
      const principal = String(service.environment?.SERVICE);
      const config = container.inWorkdir(() => START_UP_LOADERS[principal]!(container.env(service)));
      const settings = kafkaSettingsOf(config);
      expect(settings.length).toBeGreaterThan(0);
      const internal = brokers.map((n) => advertised(nodeProperties[n]!, 'INTERNAL')).sort();
      for (const kafka of settings) {
        expect(kafka.sasl?.username).toBe(principal);
        expect(kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: principal, password: readFileSync(join(kafkaSecretsDir, `${principal}.password`), 'utf8').trim() });
        expect(kafka.ssl?.ca).toBe(readFileSync(join(kafkaSecretsDir, 'ca.pem'), 'utf8'));
        expect(internal.length).toBeGreaterThan(0);
        expect([...kafka.brokers].sort()).toEqual(internal);
        if (kafka.replicationFactor !== undefined) expect(kafka.replicationFactor).toBe(Math.min(3, brokers.length));
      }
    });

    it('kafka-init can rotate a password in place (README): it mounts rotate-scram.sh and names every node', () => {
      const kafkaInit = shellWriters.find((n) => services[n]!.command?.at(-1) === 'secrets');
      expect(kafkaInit).toBeDefined();
      const s = services[kafkaInit!]!;
      expect(mounts(s).some((m) => isBind(m.source) && resolve(ROOT, m.source) === join(ROOT, 'infra/kafka/rotate-scram.sh') && existsSync(fs[kafkaInit!]!.path(m.target)))).toBe(true);
      expect(String(s.environment?.KAFKA_BROKERS).split(',').sort()).toEqual(brokers.map((n) => advertised(nodeProperties[n]!, 'INTERNAL')).sort());
    });

    it('one ACL job applies the plan as kafka-broker once every node is healthy, and every Kafka-using service waits for it', () => {
      expect(aclJobs).toHaveLength(1);
      const job = services[aclJobs[0]!]!;
      const container = fs[aclJobs[0]!]!;
      const env = container.env(job);
      for (const n of brokers) expect([n, dependsOn(job, n)]).toEqual([n, 'service_healthy']);
      expect(env.KAFKA_BROKERS?.split(',').sort()).toEqual(brokers.map((n) => advertised(nodeProperties[n]!, 'INTERNAL')).sort());
      expect(readFileSync(join(env.KAFKA_SECRETS_DIR!, `${BROKER_PRINCIPAL}.password`), 'utf8').trim()).toBe(readFileSync(join(kafkaSecretsDir, `${BROKER_PRINCIPAL}.password`), 'utf8').trim());
      expect(existsSync(join(env.KAFKA_SECRETS_DIR!, 'ca.pem'))).toBe(true);
      for (const n of kafkaUsers) expect([n, dependsOn(services[n]!, aclJobs[0]!)]).toEqual([n, 'service_completed_successfully']);
    });
  });
});

describe('interpolate (compose variable substitution, nothing exported)', () => {
  it.each<[string, string | undefined]>([
    ['plain', 'plain'],
    ['${RATE_LIMIT_SCALE:-100}', '100'],
    ['${X-7}', '7'],
    ['a$$b', 'a$b'],
    ['${CREDENTIAL_PEPPER:?export it}', undefined],
    ['${CREDENTIAL_PEPPER}', undefined],
    ['$CREDENTIAL_PEPPER', undefined],
  ])('%s -> %s', (value, expected) => {
    expect(interpolate(value)).toBe(expected);
  });
});
