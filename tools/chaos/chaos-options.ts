/** The chaos runner's command line: `--seed N --minutes M [--replicas 2] [--brokers 1|3] [--rate N]`. Pure. */

export interface ChaosOptions {
  seed: number;
  minutes: number;
  replicas: number;
  brokers: 1 | 3;
  /** Orders per second. */
  rate: number;
  emulatorFaults: boolean;
  clientFaults: boolean;
  /** `--seeds a,b,c`: the seeds run one after another on one Postgres and Kafka (seed is the first). */
  series?: number[];
}

export const CHAOS_DEFAULTS = { minutes: 2, replicas: 2, brokers: 1, rate: 5 } as const;
/** The largest seed (a uint32, as the PRNG takes it). */
export const CHAOS_SEED_MAX = 0xffff_ffff;
const REPLICAS_MAX = 4;
const MINUTES_MAX = 24 * 60;
const RATE_MAX = 100;

export const CHAOS_USAGE = 'usage: npm run chaos -- [--seed N | --seeds N,N,...] [--minutes M] [--replicas 1..4] [--brokers 1|3] [--rate ORDERS_PER_S] [--no-emulator-faults] [--no-client-faults]';

/** Parses the arguments; a seed not given is drawn by `randomSeed`. Errors are values (a message to print with the usage). */
export function parseChaosArgs(argv: readonly string[], randomSeed: () => number): { ok: true; options: ChaosOptions } | { ok: false; error: string } {
  const o: ChaosOptions = { seed: -1, ...CHAOS_DEFAULTS, emulatorFaults: true, clientFaults: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--no-emulator-faults') {
      o.emulatorFaults = false;
      continue;
    }
    if (arg === '--no-client-faults') {
      o.clientFaults = false;
      continue;
    }
    const [flag, inline] = arg.split('=', 2);
    const raw = inline ?? argv[++i];
    const n = Number(raw);
    const bad = (what: string) => ({ ok: false as const, error: `${flag}: ${what} (got ${raw ?? 'nothing'})` });
    switch (flag) {
      case '--seed':
        if (!/^\d+$/.test(raw ?? '') || n > CHAOS_SEED_MAX) return bad(`an integer 0..${CHAOS_SEED_MAX}`);
        o.seed = n;
        break;
      case '--seeds': {
        const seeds = (raw ?? '').split(',').map(Number);
        if (!/^\d+(,\d+)*$/.test(raw ?? '') || seeds.some((x) => x > CHAOS_SEED_MAX)) return bad(`integers 0..${CHAOS_SEED_MAX}, comma-separated`);
        o.series = seeds;
        o.seed = seeds[0]!;
        break;
      }
      case '--minutes':
        if (!(n > 0) || n > MINUTES_MAX) return bad(`minutes above 0, at most ${MINUTES_MAX}`);
        o.minutes = n;
        break;
      case '--replicas':
        if (!Number.isInteger(n) || n < 1 || n > REPLICAS_MAX) return bad(`1..${REPLICAS_MAX}`);
        o.replicas = n;
        break;
      case '--brokers':
        if (n !== 1 && n !== 3) return bad('1 or 3');
        o.brokers = n;
        break;
      case '--rate':
        if (!(n > 0) || n > RATE_MAX) return bad(`orders per second above 0, at most ${RATE_MAX}`);
        o.rate = n;
        break;
      default:
        return { ok: false, error: `unknown argument ${arg}` };
    }
  }
  if (o.seed < 0) o.seed = randomSeed() >>> 0;
  return { ok: true, options: o };
}

/** The one command that runs the same schedule again. */
export function reproduceCommand(o: ChaosOptions): string {
  const extra = [o.emulatorFaults ? '' : ' --no-emulator-faults', o.clientFaults ? '' : ' --no-client-faults'].join('');
  return `npm run chaos -- ${o.series ? `--seeds ${o.series.join(',')}` : `--seed ${o.seed}`} --minutes ${o.minutes} --replicas ${o.replicas} --brokers ${o.brokers} --rate ${o.rate}${extra}`;
}
