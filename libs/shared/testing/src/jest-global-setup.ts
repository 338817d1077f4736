import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { TEST_RUN_ID_ENV } from './test-run';

/**
 * Once per test run: the real Kafka broker (fetched by Maven, reused if one already answers; the secure one
 * unless KAFKA_SECURITY=plaintext) and the per-service Postgres databases. Unit-only runs can skip them with
 * PAYSTREAM_SKIP_INFRA=1. The run's id goes into the environment first, for every worker to inherit.
 */
export default async function globalSetup(): Promise<void> {
  process.env[TEST_RUN_ID_ENV] = `${Date.now().toString(36)}-${process.pid}`;
  if (process.env.PAYSTREAM_SKIP_INFRA === '1') return;
  const root = join(__dirname, '..', '..', '..', '..');
  execFileSync('bash', [join(root, 'infra/postgres/setup.sh'), '--with-test'], { stdio: 'inherit' });
  execFileSync('bash', [join(root, 'infra/kafka/kafka.sh'), 'start'], { stdio: 'inherit' });
}
