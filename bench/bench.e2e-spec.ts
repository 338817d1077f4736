import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../tools/e2e/service-stack';

/** The parts of bench/results/<stamp>-bench.json the spec reads (as parsed: it checks the types itself). */
interface SmokeReport {
  smoke: unknown;
  pgbench: { stepTxnPerSec: unknown; stepTxnPerSecWithNotify: unknown };
  kafka: { producer: { recordsPerSec: unknown }; consumer: { fetchMsgPerSec: unknown } };
  steps: { sent: number; latencyMs: Record<string, unknown>; cpuMsPerPayment: Record<string, unknown>; commitsPerPayment: unknown; kafkaMessagesPerPayment: unknown; r: unknown }[];
}

/**
 * `npm run bench -- --smoke` (the compiled dist/bench/bench.js) so the bench never rots: its own stack, a tiny
 * pgbench and Kafka perf run, one low rate for a few seconds. Asserts the report's shape and that every order
 * got exactly one outcome, a success; never a timing figure (those are the bench's to print, not a test's).
 */
describe('npm run bench --smoke (the throughput bench, a few seconds of it)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paystream-bench-smoke-'));
  const out = join(dir, 'bench.json');

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the ceilings and one rate, and every order gets exactly one outcome', async () => {
    // the perf tools are fetched by bench/bench.sh (bench/fetch-kafka-tools.sh); without them the bench fails, and so does this spec
    expect(existsSync(join(REPO_ROOT, 'dist', 'bench', 'bench.js'))).toBe(true);
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'tools', 'run-dist.js'), 'dist/bench/bench.js', '--smoke', '--out', out], { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.once('error', reject);
      child.once('close', (c) => resolve({ code: c, stderr: err }));
    });
    if (code !== 0) throw new Error(`the smoke bench exited ${code}: ${stderr.slice(-3000)}`);
    const report = JSON.parse(readFileSync(out, 'utf8')) as SmokeReport;

    expect(report.smoke).toBe(true);
    expect(report.pgbench.stepTxnPerSec).toBeGreaterThan(0);
    expect(report.pgbench.stepTxnPerSecWithNotify).toBeGreaterThan(0);
    expect(report.kafka.producer.recordsPerSec).toBeGreaterThan(0);
    expect(report.kafka.consumer.fetchMsgPerSec).toBeGreaterThan(0);
    expect(report.steps).toHaveLength(1);
    const step = report.steps[0]!;
    expect(step.sent).toBeGreaterThan(0);
    expect(step).toMatchObject({ outcomes: step.sent, missing: 0, duplicates: 0, failed: 0 });
    expect(Object.keys(step.latencyMs).sort()).toEqual(['max', 'p50', 'p95', 'p99']);
    for (const name of ['kafka', 'postgres', 'order-payment', 'risk', 'channel-gateway', 'settlement', 'channel-emulator', 'driver']) {
      expect(typeof step.cpuMsPerPayment[name]).toBe('number');
    }
    // every payment commits in the services' databases and crosses several topics
    expect(step.commitsPerPayment).toBeGreaterThan(1);
    expect(step.kafkaMessagesPerPayment).toBeGreaterThan(1);
    expect(typeof step.r).toBe('number');
  }, 600_000);
});
