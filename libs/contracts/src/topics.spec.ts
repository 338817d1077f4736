import { ALL_TOPICS, sourceRefusal, TOPIC_PRODUCERS, TOPICS } from './topics';

describe('who may produce each topic', () => {
  it('names a producer for every topic', () => {
    expect(Object.keys(TOPIC_PRODUCERS).sort()).toEqual([...ALL_TOPICS].sort());
  });

  it.each([
    [TOPICS.paymentSucceeded, '/paystream/order-payment'],
    [TOPICS.settlementDue, '/paystream/settlement'],
    [TOPICS.credentialIssued, '/paystream/merchant'],
    [TOPICS.channelChargeCompleted, '/paystream/channel-gateway'],
    [TOPICS.riskAssessmentDecided, '/paystream/risk'],
    [TOPICS.paymentRequested, '/orders/checkout'],
  ])('accepts %s from %s', (topic, source) => {
    expect(sourceRefusal(topic, source)).toBeUndefined();
  });

  it.each([
    [TOPICS.paymentSucceeded, '/orders/checkout', 'ce_source /orders/checkout may not produce payment.succeeded.v1: only /paystream/order-payment does'],
    [TOPICS.channelChargeRequested, '/paystream/risk', 'ce_source /paystream/risk may not produce channel.charge-requested.v1: only /paystream/order-payment does'],
    [TOPICS.credentialIssued, '/paystream/merchantx', 'ce_source /paystream/merchantx may not produce credential.issued.v1: only /paystream/merchant does'],
    [TOPICS.paymentRequested, '/paystream/order-payment', 'ce_source /paystream/order-payment may not produce payment.requested.v1: it comes from an upstream order system, never from a Paystream service'],
    [TOPICS.paymentRefunded, undefined, 'no ce_source: payment.refunded.v1 is produced by /paystream/order-payment'],
    [TOPICS.paymentRequested, '', 'no ce_source: payment.requested.v1 is produced by an upstream order system'],
  ])('refuses %s from %s', (topic, source, reason) => {
    expect(sourceRefusal(topic, source)).toBe(reason);
  });
});
