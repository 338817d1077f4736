/**
 * Consumer group health from offsets alone: lag per partition, how long a committed offset has
 * stood still, and the stall verdict. Pure: the ops app feeds it what the Kafka admin API said.
 */

/** A group with lag whose commits have not moved for this long is stalled (handlers finish within seconds; a rebalance within 10 s). */
export const CONSUMER_GROUP_STALL_AFTER_MS_DEFAULT = 30_000;

/** One partition as the admin API reports it for one group: committed offset (-1: none yet) and watermarks. */
export interface PartitionOffsets {
  topic: string;
  partition: number;
  committed: number;
  low: number;
  high: number;
}

/** What the admin API said about one group at one moment. */
export interface GroupObservation {
  group: string;
  members: number;
  partitions: readonly PartitionOffsets[];
}

/** When a group's committed offset on a partition was last seen to move. */
export interface CommitMark {
  offset: number;
  movedAtMs: number;
}

/** Commit marks by `group/topic/partition`, carried from one observation to the next. */
export type CommitMarks = ReadonlyMap<string, CommitMark>;

export interface PartitionHealth {
  topic: string;
  partition: number;
  committed: number;
  high: number;
  lag: number;
  commitAgeSeconds: number;
}

export type StallReason = 'no-members' | 'commit-not-advancing';

export interface GroupHealth {
  group: string;
  members: number;
  lagTotal: number;
  partitions: PartitionHealth[];
  stalled: boolean;
  stallReason?: StallReason;
}

const markKey = (group: string, topic: string, partition: number) => `${group}/${topic}/${partition}`;

/**
 * Messages a group has still to read on a partition. With nothing committed the group starts from
 * the oldest retained message (the services subscribe from the beginning), so all of it is lag; a
 * commit below the low watermark (retention or compaction deleted what it pointed at) resumes there
 * too, so the deleted messages are not counted.
 */
export function partitionLag(p: Pick<PartitionOffsets, 'committed' | 'low' | 'high'>): number {
  const from = Math.max(p.committed, p.low);
  return Math.max(0, p.high - from);
}

/**
 * Assesses every observed group and returns the commit marks to carry to the next call. A partition
 * seen for the first time counts as having just moved, so a stall needs stallAfterMs of evidence
 * gathered by this process. Stalled: lag and no live member (every consumer is gone), or lag on a
 * partition whose committed offset has not moved for stallAfterMs.
 */
export function assessConsumerGroups(
  observations: readonly GroupObservation[],
  previous: CommitMarks,
  nowMs: number,
  stallAfterMs: number = CONSUMER_GROUP_STALL_AFTER_MS_DEFAULT,
): { groups: GroupHealth[]; marks: Map<string, CommitMark> } {
  const marks = new Map<string, CommitMark>();
  const groups = observations.map((o): GroupHealth => {
    let stuckPartition = false;
    const partitions = o.partitions.map((p): PartitionHealth => {
      const key = markKey(o.group, p.topic, p.partition);
      const before = previous.get(key);
      const mark = before && before.offset === p.committed ? before : { offset: p.committed, movedAtMs: nowMs };
      marks.set(key, mark);
      const lag = partitionLag(p);
      const stillMs = Math.max(0, nowMs - mark.movedAtMs);
      if (lag > 0 && stillMs >= stallAfterMs) stuckPartition = true;
      return { topic: p.topic, partition: p.partition, committed: p.committed, high: p.high, lag, commitAgeSeconds: stillMs / 1000 };
    });
    const lagTotal = partitions.reduce((sum, p) => sum + p.lag, 0);
    const stallReason: StallReason | undefined = lagTotal > 0 && o.members === 0 ? 'no-members' : stuckPartition ? 'commit-not-advancing' : undefined;
    return { group: o.group, members: o.members, lagTotal, partitions, stalled: stallReason !== undefined, ...(stallReason ? { stallReason } : {}) };
  });
  return { groups, marks };
}
