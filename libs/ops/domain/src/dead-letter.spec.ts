import { DLQ_HEADERS } from '@paystream/contracts';
import { formatDeadLetterRef, parseDeadLetterRef, readDeadLetter, replayOf } from './dead-letter';

const ref = { topic: 'payment.requested.v1.dlq', partition: 2, offset: '17' };
const headers = {
  ce_id: 'e-1',
  ce_type: 'payment.requested.v1',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  [DLQ_HEADERS.reason]: 'handler failed 5 times: boom',
  [DLQ_HEADERS.consumer]: 'paystream.order-payment',
  [DLQ_HEADERS.at]: '2026-12-04T18:00:00.000Z',
  [DLQ_HEADERS.originalTopic]: 'payment.requested.v1',
  [DLQ_HEADERS.originalPartition]: '2',
  [DLQ_HEADERS.originalOffset]: '40',
};

describe('dead-letter refs', () => {
  it('round-trips a ref', () => {
    expect(parseDeadLetterRef(formatDeadLetterRef(ref))).toEqual({ ok: true, value: ref });
  });

  it.each(['payment.requested.v1:2:17', 'payment.requested.v1.dlq:x:17', 'payment.requested.v1.dlq:2', 'a.dlq:1:-3', ''])('refuses %j', (text) => {
    const r = parseDeadLetterRef(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('DLQ_REF_INVALID');
  });
});

describe('readDeadLetter and replayOf', () => {
  it('reads where the message came from and replays it with its own headers only', () => {
    const r = readDeadLetter(ref, { key: 'o-1', value: Buffer.from('{"a":1}'), headers });
    if (!r.ok) throw new Error(r.error.code);
    expect(r.value).toMatchObject({ originalTopic: 'payment.requested.v1', originalPartition: 2, originalOffset: '40', consumer: 'paystream.order-payment', eventId: 'e-1' });
    const replay = replayOf(r.value);
    expect(replay.topic).toBe('payment.requested.v1');
    expect(replay.key).toBe('o-1');
    expect(replay.value?.toString()).toBe('{"a":1}');
    expect(replay.headers).toEqual({ ce_id: 'e-1', ce_type: 'payment.requested.v1', traceparent: headers.traceparent });
  });

  it('refuses a message without the DLQ headers and names them', () => {
    const { [DLQ_HEADERS.originalTopic]: _t, [DLQ_HEADERS.reason]: _r, ...rest } = headers;
    const r = readDeadLetter(ref, { key: null, value: null, headers: rest });
    expect(r).toEqual({ ok: false, error: { code: 'DLQ_HEADERS_MISSING', ref: 'payment.requested.v1.dlq:2:17', missing: [DLQ_HEADERS.originalTopic, DLQ_HEADERS.reason] } });
  });

  it.each([
    ['another Paystream topic', 'payment.succeeded.v1', 'only replayed to the topic it was dead-lettered from'],
    ['a topic outside Paystream', 'some.other.topic', 'not a Paystream topic'],
    ['a dead-letter topic', 'payment.requested.v1.dlq', 'a dead-letter topic is never replayed to'],
  ])('refuses a message whose original-topic header names %s', (_what, originalTopic, reason) => {
    const r = readDeadLetter(ref, { key: null, value: null, headers: { ...headers, [DLQ_HEADERS.originalTopic]: originalTopic } });
    expect(r).toEqual({ ok: false, error: { code: 'DLQ_ORIGIN_INVALID', ref: 'payment.requested.v1.dlq:2:17', originalTopic, reason: expect.stringContaining(reason) } });
  });

  it('has no event id for a malformed message that came without one', () => {
    const { ce_id: _id, ...rest } = headers;
    const r = readDeadLetter(ref, { key: null, value: Buffer.from('{not json'), headers: rest });
    expect(r.ok && r.value.eventId).toBeUndefined();
  });
});
