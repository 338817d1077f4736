import type { SettlementBatch, StoredSettlementItem } from '@paystream/settlement/data-access';
import { Money } from '@paystream/shared/money';

/** The statement's columns, in order; amounts in yuan with two decimals, as a finance team reads them. */
export const STATEMENT_COLUMNS = [
  'settlement_id',
  'status',
  'as_of',
  'created_at',
  'payout_ref',
  'line',
  'reference',
  'channel',
  'occurred_at',
  'due_on',
  'gross',
  'fee',
  'refund',
  'reserve',
  'amount',
  'currency',
] as const;

/** One CSV field: quoted when it holds a separator, quote or line break; a leading formula character is defused. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?\d+(\.\d+)?$/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A merchant's settlements with their line items as CSV (header first, CRLF line ends, per RFC 4180). */
export function statementCsv(rows: readonly { settlement: SettlementBatch; lines: readonly StoredSettlementItem[] }[]): string {
  const yuan = (minor: bigint, currency: string) => Money.of(minor, currency).toMajorString();
  const out = [STATEMENT_COLUMNS.join(',')];
  for (const { settlement: s, lines } of rows) {
    const head = [s.id, s.status, s.asOf ?? '', s.createdAt.toISOString(), s.payoutRef ?? ''];
    for (const l of lines) {
      out.push(
        [
          ...head,
          l.kind,
          l.reference,
          l.channel ?? '',
          l.occurredAt.toISOString(),
          l.dueOn,
          yuan(l.grossMinor, l.currency),
          yuan(l.feeMinor, l.currency),
          yuan(l.refundMinor, l.currency),
          yuan(l.reserveMinor, l.currency),
          yuan(l.amountMinor, l.currency),
          l.currency,
        ]
          .map(csvField)
          .join(','),
      );
    }
    out.push([...head, 'total', '', '', '', '', yuan(s.grossMinor, s.currency), yuan(s.feeMinor, s.currency), yuan(s.refundMinor, s.currency), yuan(s.reserveHeldMinor - s.reserveReleasedMinor, s.currency), yuan(s.netMinor, s.currency), s.currency].map(csvField).join(','));
  }
  return `${out.join('\r\n')}\r\n`;
}
