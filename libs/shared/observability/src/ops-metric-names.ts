/**
 * The metrics the `ops` app exports about the cluster from outside the services (Kafka admin API,
 * health checks). Named once here: the ops app registers them, and the Prometheus alert rules and the
 * Grafana dashboard in infra/ query them by these names.
 */
export const OPS_METRIC_NAMES = {
  /** Messages behind the high watermark, per consumer group, topic and partition (committed offsets). */
  consumerGroupLag: 'paystream_ops_consumer_group_lag',
  /** The sum of a group's lag over all its partitions. */
  consumerGroupLagTotal: 'paystream_ops_consumer_group_lag_total',
  /** Live members of a consumer group (0: every consumer of the group is gone). */
  consumerGroupMembers: 'paystream_ops_consumer_group_members',
  /** Seconds since a group's committed offset on a partition last moved. */
  consumerGroupCommitAgeSeconds: 'paystream_ops_consumer_group_commit_age_seconds',
  /** 1 when a group has lag and no live member, or has made no commit progress for the stall time; else 0. */
  consumerGroupStalled: 'paystream_ops_consumer_group_stalled',
  /** 1 when a service answers its /health as up, else 0. */
  serviceUp: 'paystream_ops_service_up',
  /** Messages held in each dead-letter topic (high minus low watermark). */
  dlqMessages: 'paystream_ops_dlq_messages',
} as const;

export type OpsMetricName = (typeof OPS_METRIC_NAMES)[keyof typeof OPS_METRIC_NAMES];
