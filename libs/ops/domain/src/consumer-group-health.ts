import { lagOf } from '@paystream/shared/kafka';

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

/**
 * When a group's committed offset on a partition was last seen to move, and since when the group has
 * been behind on it without its commit moving (absent while it is caught up).
 */
export interface CommitMark {
  offset: number;
  movedAtMs: number;
  behindSinceMs?: number;
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
 * Assesses every observed group and returns the commit marks to carry to the next call. A partition
 * seen for the first time counts as having just moved, so a stall needs stallAfterMs of evidence
 * gathered by this process. Stalled: lag and no live member (every consumer is gone), or a partition
 * behind for stallAfterMs without its committed offset moving.
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
      const moved = !before || before.offset !== p.committed;
      const movedAtMs = moved ? nowMs : before.movedAtMs;
      const lag = lagOf(p); // the services' own measure (paystream_consumer_lag), so both views agree
      // the stall clock starts when the group falls behind, not at its last commit: a partition idle
      // (caught up) for minutes that receives one message is behind for a moment, not stalled
      const behindSinceMs = lag === 0 ? undefined : moved || before.behindSinceMs === undefined ? nowMs : before.behindSinceMs;
      marks.set(key, { offset: p.committed, movedAtMs, ...(behindSinceMs === undefined ? {} : { behindSinceMs }) });
      const stillMs = Math.max(0, nowMs - movedAtMs);
      if (behindSinceMs !== undefined && nowMs - behindSinceMs >= stallAfterMs) stuckPartition = true;
      return { topic: p.topic, partition: p.partition, committed: p.committed, high: p.high, lag, commitAgeSeconds: stillMs / 1000 };
    });
    const lagTotal = partitions.reduce((sum, p) => sum + p.lag, 0);
    const stallReason: StallReason | undefined = lagTotal > 0 && o.members === 0 ? 'no-members' : stuckPartition ? 'commit-not-advancing' : undefined;
    return { group: o.group, members: o.members, lagTotal, partitions, stalled: stallReason !== undefined, ...(stallReason ? { stallReason } : {}) };
  });
  return { groups, marks };
}
