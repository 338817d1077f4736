import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@paystream/shared/testing';

/** infra/kafka/kafka.sh, from tools/kafka-acl. */
export const KAFKA_SH = join(__dirname, '../../infra/kafka/kafka.sh');
/** How long a throwaway secure broker may take to format, start and answer on a loaded machine. */
export const OWN_SECURE_BROKER_START_TIMEOUT_S = 180;

/**
 * A secure broker of a spec's own (kafka.sh, KAFKA_SECURITY=sasl_ssl): free ports, data and secrets in a
 * temporary folder, so a spec may rotate passwords or format anew without touching the suite's broker.
 */
export class OwnSecureBroker {
  readonly dir: string;
  readonly secretsDir: string;
  brokers: string[] = [];
  /** kafka.sh's environment for this broker (start, stop, and the scripts that talk to it). */
  env: NodeJS.ProcessEnv = {};

  constructor(label: string) {
    this.dir = mkdtempSync(join(tmpdir(), `paystream-${label}-`));
    this.secretsDir = join(this.dir, 'secrets');
  }

  async start(): Promise<this> {
    const [port, controllerPort] = [await freePort(), await freePort()];
    this.brokers = [`127.0.0.1:${port}`];
    this.env = {
      ...process.env,
      KAFKA_SECURITY: 'sasl_ssl',
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(controllerPort),
      KAFKA_DATA_DIR: join(this.dir, 'data'),
      KAFKA_SECRETS_DIR: this.secretsDir,
      KAFKA_PARTITIONS: '1',
      KAFKA_HEAP: '384m',
      KAFKA_START_TIMEOUT_S: String(OWN_SECURE_BROKER_START_TIMEOUT_S),
    };
    const started = spawnSync('bash', [KAFKA_SH, 'start'], { env: this.env, encoding: 'utf8', timeout: (OWN_SECURE_BROKER_START_TIMEOUT_S + 60) * 1000 });
    if (started.status !== 0) throw new Error(`secure broker did not start: ${started.stderr}`);
    return this;
  }

  /** Stops the broker (when it started) and removes its folder. */
  stop(): void {
    if (this.brokers.length > 0) spawnSync('bash', [KAFKA_SH, 'stop'], { env: this.env, stdio: 'ignore', timeout: 60_000 });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
