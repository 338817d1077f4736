import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../e2e/service-stack';

/**
 * The chaos run in CI: a short fixed schedule (two seeds, half a minute of traffic each, one Postgres and
 * Kafka of the run's own for both) must end with the auditor's OK for every seed. Seed 101 cuts Postgres's
 * connections, kills a replica and crashes Postgres; seed 119 kills the broker and a replica.
 */
const CI_SEEDS = [101, 119];
const CI_MINUTES = 0.5;
const CI_RATE_PER_SECOND = 3;
/** How much of a run's output a failure without a verdict shows. */
const OUTPUT_TAIL_LINES = 40;
/** Start-up, traffic, drain (up to 140 s each) and audit of both seeds on a busy 2-core box. */
const CHAOS_RUN_TIMEOUT_MS = 12 * 60_000;

describe('chaos run (fixed seeds)', () => {
  it(
    `ends with the auditor's OK for seeds ${CI_SEEDS.join(', ')}`,
    async () => {
      const args = ['--seeds', CI_SEEDS.join(','), '--minutes', String(CI_MINUTES), '--rate', String(CI_RATE_PER_SECOND)];
      let output = '';
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [join(REPO_ROOT, 'tools', 'run-dist.js'), 'dist/tools/chaos/chaos-cli.js', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
        child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
        child.on('exit', resolve);
      });
      const verdicts = output.split('\n').filter((l) => /^(auditor:|chaos: seeds? )/.test(l));
      // the lines that say why, in the failure message (the whole run is in .run/chaos/<seed>/); when the run ended
      // without a verdict (its infrastructure did not start), the end of its output too
      const tail = verdicts.some((l) => l.startsWith('auditor:')) ? [] : output.trimEnd().split('\n').slice(-OUTPUT_TAIL_LINES);
      expect({ code, verdicts, tail }).toEqual({ code: 0, verdicts: expect.arrayContaining(CI_SEEDS.map(() => expect.stringMatching(/^auditor: OK/))), tail: [] });
      expect(verdicts.filter((l) => l.startsWith('auditor: OK'))).toHaveLength(CI_SEEDS.length);
    },
    CHAOS_RUN_TIMEOUT_MS,
  );
});
