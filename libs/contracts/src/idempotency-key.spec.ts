import { IDEMPOTENCY_KEY_LENGTH_MAX, parseIdempotencyKey } from './idempotency-key';

describe('Idempotency-Key header check', () => {
  it.each([
    ['absent', undefined, 'IDEMPOTENCY_KEY_MISSING'],
    ['empty', '', 'IDEMPOTENCY_KEY_MISSING'],
    ['with a space', 'run 1', 'VALIDATION_FAILED'],
    ['with a control character', 'run\t1', 'VALIDATION_FAILED'],
    ['not ASCII', 'run-一', 'VALIDATION_FAILED'],
    ['one character too long', 'k'.repeat(IDEMPOTENCY_KEY_LENGTH_MAX + 1), 'VALIDATION_FAILED'],
  ])('refuses a key %s with %s', (_label, raw, code) => {
    const parsed = parseIdempotencyKey(raw);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem.code).toBe(code);
  });

  it('names the header and the format in the detail', () => {
    expect(parseIdempotencyKey('a b')).toEqual({ ok: false, problem: { code: 'VALIDATION_FAILED', detail: 'Idempotency-Key: printable ASCII without spaces' } });
  });

  it.each([['run-1'], ['k'.repeat(IDEMPOTENCY_KEY_LENGTH_MAX)], ['!~{}"#']])('accepts %s as it is', (raw) => {
    expect(parseIdempotencyKey(raw)).toEqual({ ok: true, key: raw });
  });
});
