import { createHash } from 'node:crypto';
import { canonicalJson, canonicalValue } from './canonical-json';
import { Actors } from './actor';
import { AUDIT_GENESIS_HASH, auditContent, auditHash, checkAuditEntry, forbiddenDetailKey, type AuditEntry } from './audit-entry';

describe('canonical JSON', () => {
  it.each([
    ['bigint as a decimal string', 12345678901234567890n, '"12345678901234567890"'],
    ['negative bigint', -5n, '"-5"'],
    ['zero bigint', 0n, '"0"'],
    ['safe integer', 42, '42'],
    ['negative zero as 0', -0, '0'],
    ['keys sorted', { b: 1, a: 2, c: 3 }, '{"a":2,"b":1,"c":3}'],
    ['nested objects sorted at every level', { z: { y: 1, x: { b: true, a: null } }, a: [{ d: 1, c: 2 }] }, '{"a":[{"c":2,"d":1}],"z":{"x":{"a":null,"b":true},"y":1}}'],
    ['keys sorted by UTF-16 code units (upper before lower, ASCII before CJK)', { b: 1, B: 2, 商户: 3, _: 4 }, '{"B":2,"_":4,"b":1,"商户":3}'],
    ['unicode strings as themselves', { reason: '春节调休 — café ✓' }, '{"reason":"春节调休 — café ✓"}'],
    ['astral characters as themselves', '💴', '"💴"'],
    ['quotes, backslashes and control characters escaped', 'a"b\\c\nd\u0001', '"a\\"b\\\\c\\nd\\u0001"'],
    ['a Date as UTC with milliseconds', new Date('2026-02-17T08:00:00+08:00'), '"2026-02-17T00:00:00.000Z"'],
    ['undefined properties left out', { a: undefined, b: 1 }, '{"b":1}'],
    ['undefined in an array as null', [undefined, 1], '[null,1]'],
    ['empty object and array', { o: {}, a: [] }, '{"a":[],"o":{}}'],
  ])('%s', (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it.each([
    ['a fraction', 1.5],
    ['an unsafe integer', 2 ** 53],
    ['NaN', NaN],
    ['a function', () => 1],
    ['a class instance', new Map()],
    ['an invalid date', new Date('nope')],
  ])('refuses %s', (_name, value) => {
    expect(() => canonicalJson({ v: value })).toThrow(/canonical JSON: \$\.v/);
  });

  it('encodes the same after a JSON round trip of its plain value (as JSONB gives it back, keys in any order)', () => {
    const value = { amountMinor: 9_999_00n, at: new Date(0), nested: { z: 1, a: ['x', 2n] } };
    const plain = canonicalValue(value) as Record<string, unknown>;
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(plain).reverse())));
    expect(canonicalJson(reordered)).toBe(canonicalJson(value));
  });
});

describe('audit row hash', () => {
  const row = { seq: 1n, occurredAt: new Date('2026-01-02T03:04:05.678Z'), actor: 'operator:alice', action: 'terms.changed', subject: 'merchant:m-1', details: { payoutMinMinor: 100n } };

  it('hashes SHA-256 of prev_hash followed by the canonical content, as documented', () => {
    const content = auditContent(row);
    expect(content).toBe('{"action":"terms.changed","actor":"operator:alice","details":{"payoutMinMinor":"100"},"occurredAt":"2026-01-02T03:04:05.678Z","seq":"1","subject":"merchant:m-1"}');
    // an independent computation of the documented formula
    const expected = createHash('sha256').update(Buffer.from(`${AUDIT_GENESIS_HASH}${content}`, 'utf8')).digest('hex');
    expect(auditHash(AUDIT_GENESIS_HASH, content)).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['seq', { seq: 2n }],
    ['time (one millisecond)', { occurredAt: new Date('2026-01-02T03:04:05.679Z') }],
    ['actor', { actor: 'operator:mallory' }],
    ['action', { action: 'payout.sent' }],
    ['subject', { subject: 'merchant:m-2' }],
    ['a detail', { details: { payoutMinMinor: 101n } }],
  ])('changes when the %s changes', (_name, change) => {
    expect(auditHash(AUDIT_GENESIS_HASH, auditContent({ ...row, ...change }))).not.toBe(auditHash(AUDIT_GENESIS_HASH, auditContent(row)));
  });

  it('changes with the previous hash (the chain)', () => {
    const content = auditContent(row);
    expect(auditHash('1'.repeat(64), content)).not.toBe(auditHash(AUDIT_GENESIS_HASH, content));
  });
});

describe('audit entries', () => {
  const entry = (change: Partial<AuditEntry>): AuditEntry => ({ actor: Actors.operator('alice'), action: 'terms.changed', subject: 'merchant:m-1', details: {}, ...change });

  it.each([
    ['cardNumber', { card: { cardNumber: '4111111111111111' } }, 'details.card.cardNumber'],
    ['payoutAccountNo', { terms: { payoutAccountNo: '6222020000000001' } }, 'details.terms.payoutAccountNo'],
    ['cvv', { cvv: '123' }, 'details.cvv'],
    ['a token', { items: [{ cardToken: 'tok_1' }] }, 'details.items[0].cardToken'],
    ['a secret', { signingSecret: 'x' }, 'details.signingSecret'],
  ])('refuses details with %s in the clear', (_name, details, path) => {
    expect(forbiddenDetailKey(details)).toBe(path);
    expect(() => checkAuditEntry(entry({ details }))).toThrow(path);
  });

  it('takes masked values', () => {
    expect(() => checkAuditEntry(entry({ details: { payoutAccountLast4: '0001', amountMinor: 5n } }))).not.toThrow();
  });

  it('refuses an unknown action and an empty subject', () => {
    expect(() => checkAuditEntry(entry({ action: 'money.vanished' as AuditEntry['action'] }))).toThrow('unknown action');
    expect(() => checkAuditEntry(entry({ subject: '' }))).toThrow('bad subject');
  });

  it.each([
    ['operator:alice', { kind: 'operator', id: 'alice' }],
    ['system:settlement-payout', { kind: 'system', id: 'settlement-payout' }],
    ['merchant:m:1', { kind: 'merchant', id: 'm:1' }],
    ['robot:x', undefined],
    ['operator:', undefined],
    ['operator: padded ', undefined],
  ])('reads the actor %s', (text, expected) => {
    expect(Actors.parse(text)).toEqual(expected);
  });
});
