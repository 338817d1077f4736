import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Once per test run: the real Kafka broker (fetched by Maven, reused if one already answers) and
 * the per-service Postgres databases. Unit-only runs can skip it with PAYSTREAM_SKIP_INFRA=1.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.PAYSTREAM_SKIP_INFRA === '1') return;
  const root = join(__dirname, '..', '..', '..', '..');
  execFileSync('bash', [join(root, 'infra/postgres/setup.sh'), '--with-test'], { stdio: 'inherit' });
  execFileSync('bash', [join(root, 'infra/kafka/kafka.sh'), 'start'], { stdio: 'inherit' });
}
