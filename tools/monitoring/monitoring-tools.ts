import { execFile } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The repository root (tools/monitoring/..). */
export const ROOT = join(__dirname, '..', '..');
/** infra/prometheus: the scrape configs, rules and rule tests. */
export const PROMETHEUS_DIR = join(ROOT, 'infra', 'prometheus');

/** How long one promtool run may take (it checks or unit-tests the whole rule file). */
const PROMTOOL_TIMEOUT_MS = 30_000;

/**
 * The path of a monitoring binary (`promtool`, `prometheus`, Debian's `Burrow`) on PATH or in
 * /usr/bin. A missing one is an error, never a skip: the tests it serves would prove nothing.
 */
export function findTool(names: readonly string[]): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/usr/sbin'];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  throw new Error(
    `${names.join(' / ')} not found on PATH or in /usr/bin: run \`bash scripts/install-monitoring.sh\` ` +
      '(npm test runs it through scripts/setup.sh --with-test; Debian packages prometheus and burrow)',
  );
}

export interface ToolResult {
  code: number;
  output: string;
}

/** Runs a tool to completion and returns its exit code with stdout and stderr together. */
export function runTool(binary: string, args: readonly string[], cwd = ROOT, timeoutMs = PROMTOOL_TIMEOUT_MS): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(binary, [...args], { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (error && typeof error.code !== 'number') {
        reject(new Error(`${binary} ${args.join(' ')} did not run: ${error.message}\n${output}`));
        return;
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, output });
    });
  });
}

/** `promtool <args>`, failing with promtool's own words when it does not exit 0. */
export async function promtool(args: readonly string[], cwd = ROOT): Promise<string> {
  const result = await runTool(findTool(['promtool']), args, cwd);
  if (result.code !== 0) throw new Error(`promtool ${args.join(' ')} exited ${result.code}:\n${result.output}`);
  return result.output;
}

/** Names of the metrics a PromQL expression reads (recording-rule names, `a:b:c`, excluded). */
export function metricNamesIn(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/\b(paystream_[a-z0-9_]*[a-z0-9])\b/g)) {
    const name = m[1]!;
    // a histogram is registered under its base name
    names.add(name.replace(/_(bucket|sum|count)$/, ''));
  }
  return [...names].sort();
}

/**
 * Metrics the rules read that are exported by work merged separately (none now: settlement's
 * reconciliation exports the breaks and last-run gauges). Everything else must be registered in this tree.
 */
export const METRICS_FROM_PARALLEL_WORK: readonly string[] = [];

/** Every `paystream_*` metric name written as a string literal in the services' and libs' source. */
export function registeredMetricNames(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.ts$/.test(entry.name) && !/\.(spec|integration-spec|e2e-spec)\.ts$/.test(entry.name)) {
        for (const m of readFileSync(path, 'utf8').matchAll(/['"`](paystream_[a-z0-9_]+)['"`]/g)) names.add(m[1]!);
      }
    }
  };
  walk(join(ROOT, 'libs'));
  walk(join(ROOT, 'apps'));
  return names;
}
