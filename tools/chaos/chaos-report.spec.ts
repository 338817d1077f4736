import { faultCounts, recoveryByKind, type InjectedFault } from './chaos-report';

const kill = (atMs: number, healedAtMs: number | undefined, healthyAfterMs?: number): InjectedFault => ({
  event: { kind: 'replica-kill', atMs, endMs: atMs + 1_000, service: 'risk', replica: 0, restartAfterMs: 1_000 },
  injectedAtMs: atMs,
  ...(healedAtMs === undefined ? {} : { healedAtMs }),
  ...(healthyAfterMs === undefined ? {} : { healthyAfterMs }),
});

describe('faultCounts', () => {
  it('counts the faults carried out per kind, not the skipped ones', () => {
    const skipped: InjectedFault = { event: { kind: 'emulator-faults', atMs: 0, endMs: 5, durationMs: 5, seed: 1, faults: [] }, injectedAtMs: 0, skipped: 'emulator faults unavailable' };
    expect(faultCounts([kill(0, 10), kill(20, 30), skipped])).toEqual({ 'replica-kill': 2 });
  });
});

describe('recoveryByKind', () => {
  it('measures from each heal to the first outcome after it, and takes the health times as measured', () => {
    const r = recoveryByKind([kill(0, 1_000, 300), kill(5_000, 6_000, 900)], [500, 1_400, 9_000, 6_200]);
    expect(r['replica-kill']).toEqual({ count: 2, healthyP50Ms: 300, healthyMaxMs: 900, firstOutcomeP50Ms: 200, firstOutcomeMaxMs: 400 });
  });

  it('leaves out a fault never healed and says n/a when no outcome followed', () => {
    const r = recoveryByKind([kill(0, undefined), kill(5_000, 6_000)], [100]);
    expect(r['replica-kill']).toEqual({ count: 1, healthyP50Ms: null, healthyMaxMs: null, firstOutcomeP50Ms: null, firstOutcomeMaxMs: null });
  });
});
