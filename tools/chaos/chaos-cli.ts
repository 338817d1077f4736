/**
 * `npm run chaos -- --seed N --minutes M [--replicas 2] [--brokers 1|3] [--rate 5]`: prints the seed and
 * the command that repeats the run first, runs it (run-chaos.ts) and exits with the auditor's verdict
 * (0 OK, 1 violations, 2 could not audit or a bad argument, 3 no verdict).
 */
import { randomInt } from 'node:crypto';
import { CHAOS_USAGE, parseChaosArgs, reproduceCommand } from './chaos-options';
import { runChaos } from './run-chaos';

async function main(): Promise<void> {
  const parsed = parseChaosArgs(process.argv.slice(2), () => randomInt(0, 2 ** 31));
  if (!parsed.ok) {
    process.stderr.write(`${parsed.error}\n${CHAOS_USAGE}\n`);
    process.exit(2);
  }
  const o = parsed.options;
  process.stdout.write(`chaos: seed ${o.seed}\nchaos: reproduce with: ${reproduceCommand(o)}\n`);
  const code = await runChaos(o);
  process.stdout.write(`chaos: seed ${o.seed} finished with exit code ${code}; reproduce with: ${reproduceCommand(o)}\n`);
  process.exit(code);
}

void main();
