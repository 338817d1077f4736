import { parseChaosArgs, reproduceCommand } from './chaos-options';

const draw = () => 123;

describe('parseChaosArgs', () => {
  it('takes the defaults and draws a seed when none is given', () => {
    expect(parseChaosArgs([], draw)).toEqual({ ok: true, options: { seed: 123, minutes: 2, replicas: 2, brokers: 1, rate: 5, emulatorFaults: true, clientFaults: true } });
  });

  it('reads every option, as `--flag value` and `--flag=value`', () => {
    const r = parseChaosArgs(['--seed', '42', '--minutes=0.5', '--replicas', '3', '--brokers=3', '--rate', '2', '--no-emulator-faults', '--no-client-faults'], draw);
    expect(r).toEqual({ ok: true, options: { seed: 42, minutes: 0.5, replicas: 3, brokers: 3, rate: 2, emulatorFaults: false, clientFaults: false } });
  });

  it('reads a series of seeds to run one after another', () => {
    const r = parseChaosArgs(['--seeds', '11,12,13', '--minutes', '0.5'], draw);
    expect(r.ok && r.options).toMatchObject({ seed: 11, series: [11, 12, 13], minutes: 0.5 });
  });

  it.each([
    [['--seeds', '1,,2']],
    [['--seeds', '1,x']],
    [['--seed', '-1']],
    [['--seed', '1.5']],
    [['--seed', '4294967296']],
    [['--minutes', '0']],
    [['--replicas', '0']],
    [['--brokers', '2']],
    [['--rate', 'fast']],
    [['--seed']],
    [['--colour', 'red']],
  ])('refuses %p', (argv) => {
    expect(parseChaosArgs(argv, draw).ok).toBe(false);
  });
});

describe('reproduceCommand', () => {
  it('runs the same schedule again: every option that shapes it is in the command', () => {
    const r = parseChaosArgs(['--seed', '7', '--minutes', '3', '--brokers', '3', '--no-client-faults'], draw);
    if (!r.ok) throw new Error(r.error);
    const again = parseChaosArgs(reproduceCommand(r.options).split(' ').slice(4), draw);
    expect(again).toEqual(r);
  });
});
