import type { SettlementBatch, StoredSettlementItem } from '@paystream/settlement/data-access';
import { csvField, STATEMENT_COLUMNS, statementCsv } from './settlement-statement';

describe('the CSV statement', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=SUM(A1)', "'=SUM(A1)"],
    ['@cmd', "'@cmd"],
    ['-30.00', '-30.00'],
    ['+1', "'+1"],
  ])('writes %j as %j', (value, field) => {
    expect(csvField(value)).toBe(field);
  });

  it('writes a header, every line with amounts in yuan, and a total row per settlement', () => {
    const at = new Date('2026-12-04T02:00:00Z');
    const settlement = { id: 's-1', status: 'COMPLETED', asOf: '2026-12-04', createdAt: at, payoutRef: 'BANK1', currency: 'CNY', grossMinor: 5_000n, feeMinor: 30n, refundMinor: 3_000n, reserveHeldMinor: 0n, reserveReleasedMinor: 0n, netMinor: 1_970n } as SettlementBatch;
    const line = (kind: 'payment' | 'refund', amountMinor: bigint) =>
      ({ kind, reference: `${kind}-1`, channel: 'alipay', occurredAt: at, dueOn: '2026-12-04', grossMinor: kind === 'payment' ? 5_000n : 0n, feeMinor: kind === 'payment' ? 30n : 0n, refundMinor: kind === 'refund' ? 3_000n : 0n, reserveMinor: 0n, amountMinor, currency: 'CNY' }) as StoredSettlementItem;
    const rows = statementCsv([{ settlement, lines: [line('refund', -3_000n), line('payment', 4_970n)] }]).split('\r\n');
    expect(rows[0]).toBe(STATEMENT_COLUMNS.join(','));
    expect(rows[1]).toBe('s-1,COMPLETED,2026-12-04,2026-12-04T02:00:00.000Z,BANK1,refund,refund-1,alipay,2026-12-04T02:00:00.000Z,2026-12-04,0.00,0.00,30.00,0.00,-30.00,CNY');
    expect(rows[3]).toBe('s-1,COMPLETED,2026-12-04,2026-12-04T02:00:00.000Z,BANK1,total,,,,,50.00,0.30,30.00,0.00,19.70,CNY');
    expect(rows[4]).toBe('');
  });
});
