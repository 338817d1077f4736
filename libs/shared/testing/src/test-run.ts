import { join } from 'node:path';

/**
 * The environment variable holding a Jest run's id: the global setup puts it in place before any worker starts,
 * so every worker inherits it (test-kafka.ts notes the run's ACL grants under it).
 */
export const TEST_RUN_ID_ENV = 'PAYSTREAM_TEST_RUN_ID';

/**
 * Jest loads the global setup and teardown outside its module registry (no moduleNameMapper): they resolve the
 * workspace's @paystream/* imports through tsconfig-paths, as tools/run-dist.js does for the compiled tree.
 */
export function registerWorkspacePaths(root: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tsconfigPaths = require('tsconfig-paths') as typeof import('tsconfig-paths');
  tsconfigPaths.register({ baseUrl: root, paths: { '@paystream/*': [join('libs', '*', 'src', 'index.ts')] } });
}
