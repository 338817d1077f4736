import { join } from 'node:path';
import { registerWorkspacePaths } from './test-run';

/**
 * Once per test run, at its end: the ACLs the run put in place for its tests' topic prefixes are taken away
 * (grantTestAcls noted them), so the broker, which is the demo's too, keeps only the deployment's own.
 */
export default async function globalTeardown(): Promise<void> {
  registerWorkspacePaths(join(__dirname, '..', '..', '..', '..'));
  const { revokeTestAcls } = await import('./test-kafka');
  const prefixes = await revokeTestAcls().catch((error: unknown) => {
    process.stderr.write(`[test] could not take the test ACLs away: ${(error as Error).message}\n`);
    return 0;
  });
  if (prefixes > 0 && process.env.TEST_LOG_LEVEL) process.stderr.write(`[test] took away the ACLs of ${prefixes} test topic prefixes\n`);
}
