import { TOPICS, type TopicName } from './topics';

/** The Paystream services that consume topics (each as consumer group `paystream.<service>`). */
export type ConsumingService = 'order-payment' | 'channel-gateway' | 'risk' | 'settlement' | 'merchant' | 'ops';

/** Every service that opens a Platform keeps its own copy of the credentials (libs/shared/platform). */
const CREDENTIAL_COPY_HOLDERS: readonly ConsumingService[] = ['order-payment', 'channel-gateway', 'risk', 'settlement', 'merchant', 'ops'];

/**
 * Who consumes each topic: the services whose code registers `platform.consume(TOPICS.x)`, and `upstream`
 * (an order system outside Paystream) for the outcomes and settlements it is told about. The broker's
 * ACLs are made from this and TOPIC_PRODUCERS (tools/kafka-acl); topic-consumers.spec.ts checks it against the code.
 */
export const TOPIC_CONSUMERS: Readonly<Record<TopicName, readonly (ConsumingService | 'upstream')[]>> = {
  [TOPICS.paymentRequested]: ['order-payment'],
  [TOPICS.paymentSucceeded]: ['settlement', 'risk', 'upstream'],
  [TOPICS.paymentFailed]: ['risk', 'upstream'],
  [TOPICS.paymentRefunded]: ['settlement', 'risk', 'upstream'],
  [TOPICS.settlementDue]: ['upstream'],
  [TOPICS.settlementCompleted]: ['upstream'],
  [TOPICS.settlementFailed]: ['upstream'],
  [TOPICS.merchantRegistered]: ['order-payment', 'settlement'],
  [TOPICS.merchantUpdated]: ['order-payment', 'settlement'],
  [TOPICS.merchantPayoutAccountChange]: [],
  [TOPICS.credentialIssued]: CREDENTIAL_COPY_HOLDERS,
  [TOPICS.credentialRevoked]: CREDENTIAL_COPY_HOLDERS,
  [TOPICS.riskAssessmentRequested]: ['risk'],
  [TOPICS.riskAssessmentDecided]: ['order-payment'],
  [TOPICS.channelChargeRequested]: ['channel-gateway'],
  [TOPICS.channelChargeCompleted]: ['order-payment'],
  [TOPICS.channelRefundRequested]: ['channel-gateway'],
  [TOPICS.channelRefundCompleted]: ['order-payment'],
};

/** The topics a consumer reads, in TOPICS order. */
export function topicsConsumedBy(consumer: ConsumingService | 'upstream'): TopicName[] {
  return (Object.keys(TOPIC_CONSUMERS) as TopicName[]).filter((t) => TOPIC_CONSUMERS[t].includes(consumer));
}
