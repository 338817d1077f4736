/** Public and internal Kafka topic names: the contract upstream systems and consumers code against. */
export const TOPICS = {
  paymentRequested: 'payment.requested.v1',
  paymentSucceeded: 'payment.succeeded.v1',
  paymentFailed: 'payment.failed.v1',
  paymentRefunded: 'payment.refunded.v1',
  settlementDue: 'settlement.due.v1',
  settlementCompleted: 'settlement.completed.v1',
  settlementFailed: 'settlement.failed.v1',
  // the merchant registry (merchant service): who exists, on what terms, and the credentials it issued
  merchantRegistered: 'merchant.registered.v1',
  merchantUpdated: 'merchant.updated.v1',
  merchantPayoutAccountChange: 'merchant.payout-account-change.v1',
  credentialIssued: 'credential.issued.v1',
  credentialRevoked: 'credential.revoked.v1',
  // internal, between services
  riskAssessmentRequested: 'risk.assessment-requested.v1',
  riskAssessmentDecided: 'risk.assessment-decided.v1',
  channelChargeRequested: 'channel.charge-requested.v1',
  channelChargeCompleted: 'channel.charge-completed.v1',
  channelRefundRequested: 'channel.refund-requested.v1',
  channelRefundCompleted: 'channel.refund-completed.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

export const ALL_TOPICS: readonly TopicName[] = Object.values(TOPICS);

/** The dead-letter topic for a topic: `<topic>.dlq`. */
export function dlqTopicOf(topic: string): string {
  return `${topic}.dlq`;
}

/** The CloudEvents source every Paystream service stamps on what it emits: `/paystream/<service>`. */
export const PAYSTREAM_SOURCE_PREFIX = '/paystream/';

/**
 * Who may produce each topic: the Paystream service that owns it, as its ce_source, or `upstream`
 * (an order system outside Paystream, whose source is its own and never `/paystream/...`).
 * Consumers dead-letter an event from anyone else (issue 15; the broker's ACLs say the same).
 */
export const TOPIC_PRODUCERS: Readonly<Record<TopicName, 'upstream' | `${typeof PAYSTREAM_SOURCE_PREFIX}${string}`>> = {
  [TOPICS.paymentRequested]: 'upstream',
  [TOPICS.paymentSucceeded]: '/paystream/order-payment',
  [TOPICS.paymentFailed]: '/paystream/order-payment',
  [TOPICS.paymentRefunded]: '/paystream/order-payment',
  [TOPICS.settlementDue]: '/paystream/settlement',
  [TOPICS.settlementCompleted]: '/paystream/settlement',
  [TOPICS.settlementFailed]: '/paystream/settlement',
  [TOPICS.merchantRegistered]: '/paystream/merchant',
  [TOPICS.merchantUpdated]: '/paystream/merchant',
  [TOPICS.merchantPayoutAccountChange]: '/paystream/merchant',
  [TOPICS.credentialIssued]: '/paystream/merchant',
  [TOPICS.credentialRevoked]: '/paystream/merchant',
  [TOPICS.riskAssessmentRequested]: '/paystream/order-payment',
  [TOPICS.riskAssessmentDecided]: '/paystream/risk',
  [TOPICS.channelChargeRequested]: '/paystream/order-payment',
  [TOPICS.channelChargeCompleted]: '/paystream/channel-gateway',
  [TOPICS.channelRefundRequested]: '/paystream/order-payment',
  [TOPICS.channelRefundCompleted]: '/paystream/channel-gateway',
};

/** Why an event's ce_source may not produce its topic, or undefined when it may. */
export function sourceRefusal(topic: TopicName, source: string | undefined): string | undefined {
  const producer = TOPIC_PRODUCERS[topic];
  if (source === undefined || source === '') return `no ce_source: ${topic} is produced by ${producer === 'upstream' ? 'an upstream order system' : producer}`;
  if (producer === 'upstream') {
    return source.startsWith(PAYSTREAM_SOURCE_PREFIX) ? `ce_source ${source} may not produce ${topic}: it comes from an upstream order system, never from a Paystream service` : undefined;
  }
  return source === producer ? undefined : `ce_source ${source} may not produce ${topic}: only ${producer} does`;
}
