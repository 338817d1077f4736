/**
 * docker-compose.yml, read as `docker compose up --build` would start it on a fresh clone: every
 * Paystream service's own configuration loader runs on the environment and the mounts compose gives
 * it, in a stand-in for its container's file system (the image holds no secrets; only mounts do), after
 * the init service wrote its volume. A service that would refuse to start (a variable without a default
 * missing, a file its configuration points at absent) fails this spec. No Docker engine needed.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { load } from 'js-yaml';
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

type Env = Record<string, string | undefined>;

/** The subset of the compose format this spec reads (anything else fails it, so the subset stays honest). */
interface ComposeService {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  group_add?: string[];
}

const ROOT = resolve(__dirname, '../..');
/** The image's WORKDIR (Dockerfile): relative paths a service reads resolve there. */
const IMAGE_WORKDIR = '/app';
const INIT_ENTRY = 'dist/tools/admin/compose-init.js';

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

const compose = load(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService> };
const services = compose.services;
const initNames = Object.keys(services).filter((n) => services[n]!.command?.includes(INIT_ENTRY));
const paystream = Object.keys(services).filter((n) => services[n]!.build !== undefined && !initNames.includes(n));

let base: string;
let fs: Record<string, ContainerFs>;

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
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('docker-compose.yml starts every Paystream service without a setup run', () => {
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

  it('every container reading a volume the init writes waits for the init to finish, and mounts it read-only', () => {
    const written = new Set(initNames.flatMap((n) => mounts(services[n]!).filter((m) => !isBind(m.source)).map((m) => m.source)));
    expect(written.size).toBeGreaterThan(0);
    const readers = Object.keys(services).filter((n) => !initNames.includes(n) && mounts(services[n]!).some((m) => written.has(m.source)));
    for (const n of readers) {
      expect([n, initNames.map((i) => dependsOn(services[n]!, i))]).toEqual([n, initNames.map(() => 'service_completed_successfully')]);
      expect([n, mounts(services[n]!).filter((m) => written.has(m.source)).every((m) => m.readOnly)]).toEqual([n, true]);
    }
  });

  it('the init issues its tokens after Postgres is healthy (the merchant registry)', () => {
    expect(initNames.length).toBe(1);
    expect(dependsOn(services[initNames[0]!]!, 'postgres')).toBe('service_healthy');
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
