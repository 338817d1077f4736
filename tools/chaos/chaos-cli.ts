/**
 * `npm run chaos -- --seed N --minutes M [--replicas 2] [--brokers 1|3] [--rate 5]`: prints the seed and
 * the command that repeats the run first, runs it (run-chaos.ts) and exits with the auditor's verdict
 * (0 OK, 1 violations, 2 could not audit or a bad argument, 3 no verdict).
 */
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { CHAOS_USAGE, parseChaosArgs, reproduceCommand } from './chaos-options';
import { REPO_ROOT } from '../e2e/service-stack';
import { EXIT_NO_VERDICT, runChaos, startInfra, stopInfra } from './run-chaos';

async function main(): Promise<void> {
  const parsed = parseChaosArgs(process.argv.slice(2), () => randomInt(0, 2 ** 31));
  if (!parsed.ok) {
    process.stderr.write(`${parsed.error}\n${CHAOS_USAGE}\n`);
    process.exit(2);
  }
  const o = parsed.options;
  if (!o.series) {
    process.stdout.write(`chaos: seed ${o.seed}\nchaos: reproduce with: ${reproduceCommand(o)}\n`);
    const code = await runChaos(o);
    process.stdout.write(`chaos: seed ${o.seed} finished with exit code ${code}; reproduce with: ${reproduceCommand(o)}\n`);
    process.exit(code);
  }
  // a series: one Postgres and Kafka for all the seeds, each seed with its own schema, topics and services
  process.stdout.write(`chaos: seeds ${o.series.join(',')}\nchaos: reproduce with: ${reproduceCommand(o)}\n`);
  const infra = await startInfra(join(REPO_ROOT, '.run', 'chaos', `series-${o.series.join('-')}`), o.brokers).catch((error: unknown) => {
    process.stderr.write(`chaos: the series' own Postgres and Kafka did not start: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(EXIT_NO_VERDICT);
  });
  const codes: number[] = [];
  try {
    for (const seed of o.series) {
      const one = { ...o, seed, series: undefined };
      process.stdout.write(`chaos: seed ${seed}\n`);
      codes.push(await runChaos(one, undefined, infra));
      process.stdout.write(`chaos: seed ${seed} finished with exit code ${codes[codes.length - 1]}; reproduce with: ${reproduceCommand(one)}\n`);
    }
  } finally {
    await stopInfra(infra);
  }
  process.stdout.write(`chaos: seeds ${o.series.map((s, i) => `${s}=${codes[i]}`).join(' ')}\n`);
  process.exit(codes.find((c) => c !== 0) ?? 0);
}

void main();
