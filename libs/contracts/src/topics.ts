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
