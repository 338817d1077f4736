import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

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

/** The checkout the tests run in: the nearest folder up with a package.json (from src, or from a compiled dist/ copy). */
export const TEST_REPO_ROOT = (() => {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
})();
