import { groupCpuMs, middleWindow, parsePgbenchTps, perPayment, pidListeningOn, ratioR, ratePerSecondIn } from './bench-stats';

describe('middleWindow / ratePerSecondIn (steady state, not first-to-last)', () => {
  it('takes the middle of the sending period', () => {
    expect(middleWindow(1_000, 21_000, 0.25, 0.75)).toEqual({ fromMs: 6_000, toMs: 16_000 });
  });

  it('refuses a window that is empty or outside the period', () => {
    expect(() => middleWindow(0, 10_000, 0.5, 0.5)).toThrow();
    expect(() => middleWindow(0, 10_000, -0.1, 0.5)).toThrow();
    expect(() => middleWindow(10_000, 0, 0.25, 0.75)).toThrow();
  });

  it('counts the outcomes inside the window per second, ignoring a late straggler', () => {
    // one outcome every 100 ms from 0 to 10 s, and one very late outcome at 60 s
    const at = [...Array.from({ length: 100 }, (_, i) => i * 100), 60_000];
    expect(ratePerSecondIn(at, { fromMs: 2_500, toMs: 7_500 })).toBeCloseTo(10, 5);
    // first-to-last (the window's end is exclusive) would say 101 / 60 s
    expect(ratePerSecondIn(at, { fromMs: 0, toMs: 60_001 })).toBeCloseTo(101_000 / 60_001, 5);
  });

  it('is 0 when nothing completed in the window (a stalled stack)', () => {
    expect(ratePerSecondIn([100, 200], { fromMs: 1_000, toMs: 2_000 })).toBe(0);
  });
});

describe('ratioR', () => {
  it('is payments/s x durable steps per payment / pgbench step txn/s', () => {
    expect(ratioR(38, 16, 4_800)).toBeCloseTo((38 * 16) / 4_800, 10);
  });

  it('is null when a figure is missing or the ceiling is 0', () => {
    expect(ratioR(38, null, 4_800)).toBeNull();
    expect(ratioR(38, 16, 0)).toBeNull();
    expect(ratioR(38, 16, null)).toBeNull();
  });
});

describe('groupCpuMs (CPU of a set of processes between two readings)', () => {
  const tick = (u: number, s: number) => ({ utimeTicks: u, stimeTicks: s });

  it('sums the deltas of processes seen twice and counts a new process from zero', () => {
    const before = new Map([[10, tick(100, 50)], [11, tick(10, 0)]]);
    const after = new Map([[10, tick(150, 60)], [11, tick(10, 5)], [12, tick(3, 2)]]);
    // (60 + 5 + 5) ticks at 100 ticks/s = 700 ms
    expect(groupCpuMs(before, after, 100)).toEqual({ ms: 700, processes: 3, exited: 0 });
  });

  it('says how many processes exited in between (their last CPU is not seen)', () => {
    const before = new Map([[10, tick(100, 50)], [11, tick(10, 0)]]);
    const after = new Map([[10, tick(101, 50)]]);
    expect(groupCpuMs(before, after, 100)).toEqual({ ms: 10, processes: 1, exited: 1 });
  });

  it('throws when a pid went backwards (reused by another process)', () => {
    expect(() => groupCpuMs(new Map([[10, tick(100, 0)]]), new Map([[10, tick(5, 0)]]), 100)).toThrow(/backwards/);
  });
});

describe('perPayment', () => {
  it('divides, or null without payments', () => {
    expect(perPayment(520, 10)).toBe(52);
    expect(perPayment(520, 0)).toBeNull();
  });
});

describe('parsePgbenchTps', () => {
  it('reads the tps without the initial connection time (pgbench 15)', () => {
    const out = [
      'transaction type: step.sql',
      'number of clients: 4',
      'latency average = 0.832 ms',
      'initial connection time = 12.345 ms',
      'tps = 4807.123456 (without initial connection time)',
    ].join('\n');
    expect(parsePgbenchTps(out)).toBeCloseTo(4807.123456, 6);
  });

  it('reads the older two-line form too, preferring the figure without connections', () => {
    const out = 'tps = 4000.5 (including connections establishing)\ntps = 4100.25 (excluding connections establishing)\n';
    expect(parsePgbenchTps(out)).toBeCloseTo(4100.25, 6);
  });

  it('throws on output without a tps line', () => {
    expect(() => parsePgbenchTps('pgbench: error: connection refused')).toThrow(/tps/);
  });
});

describe('pidListeningOn (from `ss -Hltnp`)', () => {
  const ss = [
    'LISTEN 0 50 [::ffff:127.0.0.1]:9092 *:* users:(("java",pid=14986,fd=155))',
    'LISTEN 0 244 127.0.0.1:5432 0.0.0.0:* users:(("postgres",pid=801,fd=6))',
    'LISTEN 0 50 [::ffff:127.0.0.1]:19092 *:* users:(("java",pid=2222,fd=155))',
  ].join('\n');

  it('finds the process on exactly that port', () => {
    expect(pidListeningOn(ss, 9092)).toBe(14986);
    expect(pidListeningOn(ss, 5432)).toBe(801);
  });

  it('is undefined when no process of ours listens there', () => {
    expect(pidListeningOn(ss, 9094)).toBeUndefined();
  });
});
