import { CLIENT_FAULT_KINDS, describeFault, EMULATOR_FAULT_KINDS, faultWindowEndMs, isProcessFault, planFaults, PROCESS_FAULT_GAP_MS_MIN, PROCESS_FAULT_KINDS, REPLICATED_SERVICES, type FaultEvent } from './fault-schedule';

const ONE_BROKER = { replicas: 2, brokers: 1 };
const SEEDS = Array.from({ length: 60 }, (_, i) => i * 7919 + 1);

describe('planFaults', () => {
  it('gives the same schedule for the same seed and options', () => {
    expect(planFaults(42, 5, ONE_BROKER)).toEqual(planFaults(42, 5, ONE_BROKER));
  });

  it('gives different schedules for different seeds', () => {
    const lines = new Set(SEEDS.map((s) => planFaults(s, 3, ONE_BROKER).map(describeFault).join('\n')));
    expect(lines.size).toBe(SEEDS.length);
  });

  it('plans every kind of fault over enough seeds', () => {
    const seen = new Set<string>();
    const emulatorKinds = new Set<string>();
    for (const s of SEEDS) {
      for (const e of planFaults(s, 3, { replicas: 2, brokers: 3 })) {
        seen.add(e.kind);
        if (e.kind === 'emulator-faults') e.faults.forEach((f) => emulatorKinds.add(f.kind));
      }
    }
    expect([...seen].sort()).toEqual([...PROCESS_FAULT_KINDS, 'emulator-faults', ...CLIENT_FAULT_KINDS].sort());
    expect([...emulatorKinds].sort()).toEqual([...EMULATOR_FAULT_KINDS].sort());
  });

  it.each(SEEDS.slice(0, 20))('seed %i: one process fault at a time, with a gap, all faults over before the fault-free tail', (seed) => {
    const minutes = 2 + (seed % 4);
    const plan = planFaults(seed, minutes, { replicas: 2, brokers: 3 });
    const processFaults = plan.filter(isProcessFault);
    for (let i = 1; i < processFaults.length; i++) {
      expect(processFaults[i]!.atMs).toBeGreaterThanOrEqual(processFaults[i - 1]!.endMs + PROCESS_FAULT_GAP_MS_MIN);
    }
    const windows = plan.filter((e) => e.kind === 'emulator-faults');
    for (let i = 1; i < windows.length; i++) expect(windows[i]!.atMs).toBeGreaterThanOrEqual(windows[i - 1]!.endMs);
    for (const e of plan) expect(e.endMs).toBeLessThanOrEqual(faultWindowEndMs(minutes));
    expect(plan.map((e) => e.atMs)).toEqual([...plan.map((e) => e.atMs)].sort((a, b) => a - b));
  });

  it('targets only the replicas and brokers that exist', () => {
    const targets = (e: FaultEvent) => ('replica' in e ? [e.replica] : []).concat('broker' in e ? [e.broker] : []);
    for (const s of SEEDS) {
      for (const e of planFaults(s, 3, ONE_BROKER)) {
        if ('service' in e) expect(REPLICATED_SERVICES).toContain(e.service);
        if ('replica' in e) expect(targets(e)[0]).toBeLessThan(2);
        if ('broker' in e) expect(e.broker).toBe(1);
      }
    }
  });

  it('leaves out emulator and client faults when told to', () => {
    const plan = planFaults(7, 3, { ...ONE_BROKER, emulatorFaults: false, clientFaults: false });
    expect(plan.length).toBeGreaterThan(0);
    expect(plan.every(isProcessFault)).toBe(true);
  });

  it('derives a seed of its own for every emulator window', () => {
    const seeds = planFaults(11, 10, ONE_BROKER).flatMap((e) => (e.kind === 'emulator-faults' ? [e.seed] : []));
    expect(seeds.length).toBeGreaterThan(1);
    expect(new Set(seeds).size).toBe(seeds.length);
  });

  it.each([
    [-1, 1],
    [1.5, 1],
    [1, 0],
  ])('refuses seed %p with minutes %p', (seed, minutes) => {
    expect(() => planFaults(seed, minutes, ONE_BROKER)).toThrow(RangeError);
  });
});
