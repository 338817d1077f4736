/** CloudEvents 1.0 binary-mode header names carried on every Kafka message, plus tracing and DLQ headers. */
export const CE_HEADERS = {
  id: 'ce_id',
  type: 'ce_type',
  source: 'ce_source',
  specVersion: 'ce_specversion',
  time: 'ce_time',
  contentType: 'content-type',
  traceparent: 'traceparent',
} as const;

export const CE_SPEC_VERSION = '1.0';
export const CONTENT_TYPE_JSON = 'application/json';

/** Headers added when a message is dead-lettered; the original headers are kept. */
export const DLQ_HEADERS = {
  reason: 'dlq_reason',
  consumer: 'dlq_consumer',
  at: 'dlq_at',
  originalTopic: 'dlq_original_topic',
  originalPartition: 'dlq_original_partition',
  originalOffset: 'dlq_original_offset',
} as const;
