import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitFor } from '@paystream/shared/testing';
import { findTool } from './monitoring-tools';

/** How long Prometheus may take to answer /-/ready after it was spawned. */
const PROMETHEUS_READY_TIMEOUT_MS = 30_000;
/** Scrape and rule evaluation interval of a test Prometheus: fast enough to see a burst. */
export const TEST_SCRAPE_INTERVAL = '1s';

export interface ScrapeTarget {
  job: string;
  address: string;
  /** A file holding the bearer token /metrics asks for (the stack's service:monitoring token). */
  bearerTokenFile?: string;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Debian's Prometheus as a child process on a free port, with its own config and storage. */
export class PrometheusServer {
  private child: ChildProcess | undefined;
  private port = 0;

  constructor(
    private readonly dir: string,
    private readonly targets: readonly ScrapeTarget[],
    private readonly ruleFiles: readonly string[],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The scrape config: every target every second, the given rule files evaluated as often. */
  config(): string {
    const jobs = this.targets.map(
      (t) => `  - job_name: ${JSON.stringify(t.job)}\n    static_configs: [{ targets: [${JSON.stringify(t.address)}] }]${t.bearerTokenFile ? `\n    bearer_token_file: ${JSON.stringify(t.bearerTokenFile)}` : ''}`,
    );
    return [
      'global:',
      `  scrape_interval: ${TEST_SCRAPE_INTERVAL}`,
      `  evaluation_interval: ${TEST_SCRAPE_INTERVAL}`,
      'rule_files:',
      ...this.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`),
      'scrape_configs:',
      ...jobs,
      '',
    ].join('\n');
  }

  async start(): Promise<void> {
    const binary = findTool(['prometheus']);
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    const configFile = join(this.dir, 'prometheus.yml');
    writeFileSync(configFile, this.config());
    this.port = await freePort();
    const log = createWriteStream(join(this.dir, 'prometheus.log'));
    this.child = spawn(
      binary,
      [`--config.file=${configFile}`, `--storage.tsdb.path=${join(this.dir, 'data')}`, `--web.listen-address=127.0.0.1:${this.port}`, '--storage.tsdb.retention.time=1h'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
    await waitFor(
      async () => {
        if (this.child?.exitCode !== null) throw new Error(`prometheus exited with ${this.child?.exitCode}; see ${this.dir}/prometheus.log`);
        const res = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
        return res?.ok ? true : undefined;
      },
      PROMETHEUS_READY_TIMEOUT_MS,
      `prometheus to be ready (log: ${this.dir}/prometheus.log)`,
      200,
    );
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** An instant query through the HTTP API. */
  async query(expr: string): Promise<PromSample[]> {
    const body = await this.api<{ resultType: string; result: PromSample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
    return body.result;
  }

  /** The value of a query that returns one series, or undefined when it returns none. */
  async scalar(expr: string): Promise<number | undefined> {
    const result = await this.query(expr);
    if (result.length > 1) throw new Error(`${expr} returned ${result.length} series`);
    return result[0] ? Number(result[0].value[1]) : undefined;
  }

  /** GET an API path and unwrap `data`, failing on an error status. */
  async api<T>(path: string): Promise<T> {
    const res = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(5_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? res.status}`);
    return body.data;
  }
}
