import { itRefusesUnstorableText } from '@paystream/shared/testing';
import { checkEventPayload, EVENT_SCHEMAS } from './events';
import { TOPICS } from './topics';
import { idempotencyKeySchema } from './idempotency-key';
import { findUnstorableText, isStorableText, storableText, UNSTORABLE_TEXT_MESSAGE } from './storable-text';

describe('isStorableText', () => {
  it.each([
    ['plain ASCII', 'Tea set', true],
    ['Chinese', '茶具', true],
    ['an emoji (a surrogate pair)', 'tea 🍵', true],
    ['the empty string', '', true],
    ['a NUL', 'a\u0000b', false],
    ['a lone high surrogate', 'a\ud83db', false],
    ['a lone low surrogate', 'a\udf75b', false],
    ['a pair in the wrong order', '\udf75\ud83d', false],
  ])('%s: %j -> %s', (_name, text, storable) => {
    expect(isStorableText(text)).toBe(storable);
  });

  it('storableText() refuses with the one message and still chains length checks', () => {
    const schema = storableText().min(1).max(3);
    expect(schema.safeParse('a\u0000').error?.issues.map((i) => i.message)).toEqual([UNSTORABLE_TEXT_MESSAGE]);
    expect(schema.safeParse('abcd').success).toBe(false);
    expect(schema.safeParse('abc').success).toBe(true);
  });

  it('findUnstorableText names the first unstorable place in a JSON value, keys included', () => {
    expect(findUnstorableText({ a: ['ok', { b: 'x\u0000' }] }, 'body')).toBe('body.a[1].b');
    expect(findUnstorableText({ ['k\u0000']: 1 }, 'query')).toBe('query: a key');
    expect(findUnstorableText({ a: ['ok', 1, null, true] }, 'body')).toBeUndefined();
  });
});

describe('every event schema refuses unstorable text in every text field', () => {
  itRefusesUnstorableText(EVENT_SCHEMAS);
});

describe('the Idempotency-Key format refuses unstorable text', () => {
  itRefusesUnstorableText({ idempotencyKey: idempotencyKeySchema });
});

it('payment.requested.v1 with a NUL in its subject is a schema violation naming the field', () => {
  const check = checkEventPayload(TOPICS.paymentRequested, {
    orderId: 'o-1', merchantId: 'm-1', userId: 'u-1', amountMinor: '100', currency: 'CNY', subject: 'a\u0000b', requestedAt: '2026-11-25T08:00:00.000Z',
  });
  expect(check).toEqual({ ok: false, reason: `schema violation on ${TOPICS.paymentRequested}: subject: ${UNSTORABLE_TEXT_MESSAGE}` });
});
