import { z } from 'zod';
import { CE_HEADERS, EVENT_SCHEMAS, TOPICS, type TopicName } from '@paystream/contracts';

const DESCRIPTIONS: Record<TopicName, { summary: string; key: string; producer: string; internal?: true }> = {
  [TOPICS.paymentRequested]: { summary: 'An order asks to be paid (one order, one payment).', key: 'orderId', producer: 'upstream order services' },
  [TOPICS.paymentSucceeded]: { summary: 'A payment was captured by the channel.', key: 'orderId', producer: 'order-payment' },
  [TOPICS.paymentFailed]: { summary: 'A payment failed or was rejected, with a reason the shopper can act on.', key: 'orderId', producer: 'order-payment' },
  [TOPICS.paymentRefunded]: { summary: 'A refund was completed.', key: 'orderId', producer: 'order-payment' },
  [TOPICS.settlementDue]: { summary: 'A merchant is owed a settlement.', key: 'merchantId', producer: 'settlement' },
  [TOPICS.settlementCompleted]: { summary: 'A settlement was paid out.', key: 'merchantId', producer: 'settlement' },
  [TOPICS.settlementFailed]: { summary: 'A settlement payout failed for good.', key: 'merchantId', producer: 'settlement' },
  [TOPICS.merchantRegistered]: { summary: 'A merchant was onboarded: its snapshot (status, legal name, contact, terms with the payout account in effect) at version 1.', key: 'merchantId', producer: 'merchant' },
  [TOPICS.merchantUpdated]: { summary: 'A merchant changed (terms, status, or a payout account became effective): its whole snapshot at the next version.', key: 'merchantId', producer: 'merchant' },
  [TOPICS.merchantPayoutAccountChange]: { summary: 'A four-eyes payout account change moved (proposed, approved, effective, rejected, cancelled): the merchant is notified; the account masked.', key: 'merchantId', producer: 'merchant' },
  [TOPICS.credentialIssued]: { summary: 'A merchant API key, operator token or service token was issued (never its secret).', key: 'principalId', producer: 'merchant' },
  [TOPICS.credentialRevoked]: { summary: 'A credential was revoked.', key: 'principalId', producer: 'merchant' },
  [TOPICS.riskAssessmentRequested]: { summary: 'order-payment asks risk to assess a payment.', key: 'paymentId', producer: 'order-payment', internal: true },
  [TOPICS.riskAssessmentDecided]: { summary: 'risk approves, holds for review, or rejects a payment.', key: 'paymentId', producer: 'risk', internal: true },
  [TOPICS.channelChargeRequested]: { summary: 'order-payment asks channel-gateway to charge.', key: 'paymentId', producer: 'order-payment', internal: true },
  [TOPICS.channelChargeCompleted]: { summary: 'channel-gateway reports the outcome of a charge.', key: 'paymentId', producer: 'channel-gateway', internal: true },
  [TOPICS.channelRefundRequested]: { summary: 'order-payment asks channel-gateway to refund (part of) a captured payment.', key: 'paymentId', producer: 'order-payment', internal: true },
  [TOPICS.channelRefundCompleted]: { summary: 'channel-gateway reports the outcome of a refund.', key: 'paymentId', producer: 'channel-gateway', internal: true },
};

/** The AsyncAPI 3.0 document of every topic, generated from the runtime schemas in libs/contracts. */
export function buildAsyncApiDocument(): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const [topic, schema] of Object.entries(EVENT_SCHEMAS) as [TopicName, z.ZodType][]) {
    const id = topic.replace(/[^A-Za-z0-9]+/g, '_');
    const d = DESCRIPTIONS[topic];
    messages[id] = {
      name: topic,
      title: topic,
      summary: d.summary,
      contentType: 'application/json',
      headers: {
        type: 'object',
        required: [CE_HEADERS.id, CE_HEADERS.type, CE_HEADERS.source, CE_HEADERS.specVersion, CE_HEADERS.time],
        properties: {
          [CE_HEADERS.id]: { type: 'string', description: 'unique per event; the deduplication key' },
          [CE_HEADERS.type]: { type: 'string', const: topic },
          [CE_HEADERS.source]: { type: 'string', description: 'the producer, e.g. /paystream/order-payment' },
          [CE_HEADERS.specVersion]: { type: 'string', const: '1.0' },
          [CE_HEADERS.time]: { type: 'string', format: 'date-time' },
          [CE_HEADERS.contentType]: { type: 'string', const: 'application/json' },
          [CE_HEADERS.traceparent]: { type: 'string', description: 'W3C trace context' },
        },
      },
      payload: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }),
      bindings: { kafka: { key: { type: 'string', description: `the ${d.key}` } } },
    };
    channels[id] = {
      address: topic,
      description: `${d.summary} Key: ${d.key}. Producer: ${d.producer}.${d.internal ? ' Internal between Paystream services.' : ''} Dead letters: ${topic}.dlq.`,
      messages: { [id]: { $ref: `#/components/messages/${id}` } },
    };
    operations[`publish_${id}`] = { action: 'send', channel: { $ref: `#/channels/${id}` } };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Paystream events',
      version: '1.0.0',
      description:
        'Generated from libs/contracts by tools/asyncapi (npm run asyncapi). Values are JSON, headers CloudEvents 1.0 binary mode. ' +
        'Money is integer minor units as decimal strings with the currency beside it. A message that fails its schema goes to <topic>.dlq ' +
        'with dlq_reason, dlq_consumer and dlq_at headers.',
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:9092',
        protocol: 'kafka-secure',
        description: 'the broker of npm run demo: SASL_SSL, trusting the CA in .run/kafka/ca.pem, one principal per service (README "Secure Kafka")',
        security: [{ $ref: '#/components/securitySchemes/scram' }],
      },
    },
    channels,
    operations,
    components: {
      messages,
      securitySchemes: {
        scram: { type: 'scramSha512', description: 'SCRAM-SHA-512 as a principal of the broker; ACLs follow topic ownership: a principal writes only the topics it produces (upstream: payment.requested.v1)' },
      },
    },
  };
}
