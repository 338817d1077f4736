import { assessConsumerGroups, type CommitMarks, type GroupObservation } from './consumer-group-health';

const STALL_MS = 30_000;
const group = (members: number, committed: number, high: number, low = 0): GroupObservation => ({
  group: 'paystream.risk',
  members,
  partitions: [{ topic: 'risk.assessment-requested.v1', partition: 0, committed, low, high }],
});

describe('assessConsumerGroups', () => {
  const run = (steps: { atMs: number; obs: GroupObservation }[]) => {
    let marks: CommitMarks = new Map();
    let last;
    for (const s of steps) {
      const r = assessConsumerGroups([s.obs], marks, s.atMs, STALL_MS);
      marks = r.marks;
      last = r.groups[0]!;
    }
    return last!;
  };

  it.each([
    ['a consuming group keeping up', [{ atMs: 0, obs: group(1, 10, 10) }, { atMs: 60_000, obs: group(1, 10, 10) }], false, undefined, 0],
    ['an idle group whose commit stands still without lag', [{ atMs: 0, obs: group(1, 5, 5) }, { atMs: 600_000, obs: group(1, 5, 5) }], false, undefined, 0],
    ['a group with lag whose commits advance', [{ atMs: 0, obs: group(1, 10, 50) }, { atMs: 40_000, obs: group(1, 30, 60) }], false, undefined, 30],
    ['lag and a commit still for the stall time', [{ atMs: 0, obs: group(1, 10, 50) }, { atMs: STALL_MS, obs: group(1, 10, 60) }], true, 'commit-not-advancing', 50],
    ['lag and a commit still for less than the stall time', [{ atMs: 0, obs: group(1, 10, 50) }, { atMs: STALL_MS - 1, obs: group(1, 10, 60) }], false, undefined, 50],
    ['an idle partition (commit still for minutes) that just received a message', [{ atMs: 0, obs: group(1, 5, 5) }, { atMs: 600_000, obs: group(1, 5, 6) }], false, undefined, 1],
    ['that message still unread for the stall time', [{ atMs: 0, obs: group(1, 5, 5) }, { atMs: 600_000, obs: group(1, 5, 6) }, { atMs: 600_000 + STALL_MS, obs: group(1, 5, 7) }], true, 'commit-not-advancing', 2],
    ['caught up again between two messages', [{ atMs: 0, obs: group(1, 5, 6) }, { atMs: 20_000, obs: group(1, 6, 6) }, { atMs: 40_000, obs: group(1, 6, 7) }, { atMs: 40_000 + STALL_MS - 1, obs: group(1, 6, 7) }], false, undefined, 1],
    ['lag and no live member, at once', [{ atMs: 0, obs: group(0, 10, 11) }], true, 'no-members', 1],
    ['no member and no lag', [{ atMs: 0, obs: group(0, 10, 10) }], false, undefined, 0],
    ['a commit that moved and then stopped', [{ atMs: 0, obs: group(1, 10, 50) }, { atMs: 20_000, obs: group(1, 20, 50) }, { atMs: 20_000 + STALL_MS, obs: group(1, 20, 50) }], true, 'commit-not-advancing', 30],
  ] as const)('%s', (_name, steps, stalled, reason, lagTotal) => {
    const g = run([...steps]);
    expect(g.stalled).toBe(stalled);
    expect(g.stallReason).toBe(reason);
    expect(g.lagTotal).toBe(lagTotal);
  });

  it('reports the commit age since the offset last moved and sums lag over partitions', () => {
    const obs = (c0: number, c1: number): GroupObservation => ({
      group: 'g',
      members: 2,
      partitions: [
        { topic: 't', partition: 0, committed: c0, low: 0, high: 100 },
        { topic: 't', partition: 1, committed: c1, low: 0, high: 100 },
      ],
    });
    const first = assessConsumerGroups([obs(40, 90)], new Map(), 1_000);
    const second = assessConsumerGroups([obs(40, 95)], first.marks, 13_000);
    expect(second.groups[0]!.partitions.map((p) => [p.lag, p.commitAgeSeconds])).toEqual([
      [60, 12],
      [5, 0],
    ]);
    expect(second.groups[0]!.lagTotal).toBe(65);
  });

  it('forgets marks of partitions no longer observed', () => {
    const first = assessConsumerGroups([group(1, 1, 1)], new Map(), 0);
    expect(first.marks.size).toBe(1);
    expect(assessConsumerGroups([], first.marks, 1).marks.size).toBe(0);
  });
});
