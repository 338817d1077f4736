import fc from 'fast-check';
import { BILL_DATE, BILL_DAY_START_MS, billTrade, billTradeArbitrary } from './bill-arbitraries';
import { BillRow, BillTrade } from './bill-types';
import { formatBeijingTime } from './beijing-time';
import {
  UNIONPAY_ZM_LINE_MIN_CHARS,
  readUnionpayBillZip,
  readUnionpayFileContent,
  readUnionpayTransactionFile,
  unionpayBillZip,
  unionpayFileContent,
  unionpayTransactionFile,
} from './unionpay-bill';
import { unzipFiles, zipFiles } from './zip';
import { BillFormatError } from './yuan';

const MER_ID = '777290058110048';
const CONSUME_QUERY_ID = '202403051000051234567';
const payment = billTrade({ channel: 'unionpay', outTradeNo: '0a1b2c3d4e5f60718293a4b5c6d7e8f9', channelTradeNo: CONSUME_QUERY_ID, amountMinor: 1000n, feeMinor: 6n });
const refund = billTrade({
  channel: 'unionpay',
  outTradeNo: payment.outTradeNo,
  channelTradeNo: CONSUME_QUERY_ID,
  kind: 'refund',
  amountMinor: 250n,
  feeMinor: 2n,
  outRefundNo: 'ffeeddccbbaa99887766554433221100',
  channelRefundNo: '202403051200007654321',
  paidAt: new Date(BILL_DAY_START_MS + 12 * 3_600_000),
});

/** A UnionPay trade's row as the file gives it back: a refund names the consume only by its queryId. */
function expectedUnionpayRow(t: BillTrade): BillRow {
  const paidAt = formatBeijingTime(t.paidAt);
  if (t.kind === 'payment') return { channelTradeNo: t.channelTradeNo, outTradeNo: t.outTradeNo, kind: 'payment', amountMinor: t.amountMinor, feeMinor: t.feeMinor, paidAt };
  return { channelTradeNo: t.channelTradeNo, outTradeNo: '', kind: 'refund', amountMinor: t.amountMinor, feeMinor: t.feeMinor, paidAt, outRefundNo: t.outRefundNo!, channelRefundNo: t.channelRefundNo! };
}

const unionpayTrade = billTradeArbitrary('unionpay').chain((t) =>
  fc
    .record({
      outTradeNo: fc.stringMatching(/^[0-9a-zA-Z]{8,32}$/),
      channelTradeNo: fc.stringMatching(/^\d{21}$/),
      outRefundNo: fc.stringMatching(/^[0-9a-zA-Z]{8,32}$/),
      channelRefundNo: fc.stringMatching(/^\d{21}$/),
      amountMinor: fc.bigInt({ min: 1n, max: 10n ** 12n - 1n }),
    })
    .map((ids): BillTrade => ({ ...t, ...ids, ...(t.kind === 'payment' ? { outRefundNo: undefined, channelRefundNo: undefined } : {}) })),
);

describe('UnionPay ZM transaction file (ACP file transfer, fileType 00)', () => {
  it('prints fixed-width lines: MMDDhhmmss, 12 digits of fen, queryIds, orderIds, txnType 01 / 04, CRLF', () => {
    const lines = unionpayTransactionFile(BILL_DATE, MER_ID, [payment, refund]).split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const [consume, back] = lines as [string, string];
    expect(consume).toHaveLength(UNIONPAY_ZM_LINE_MIN_CHARS);
    expect(consume.slice(0, 3)).toBe('S22');
    expect(consume.slice(35, 45)).toBe('0305100005'); // 交易传输时间 after 3+1+11+1+11+1+6+1 characters
    expect(consume).toContain(' 000000001000 '); // 交易金额
    expect(consume).toContain(` ${CONSUME_QUERY_ID} `);
    expect(consume).toContain(` ${payment.outTradeNo} `);
    expect(consume).toContain(' D000000000006 C000000001000 '); // fee debited, amount credited
    expect(consume).toMatch(/ 01 01 000902 {2}.* 777290058110048 $/);
    expect(back.slice(0, 3)).toBe('S30');
    expect(back).toContain(' 000000000250 ');
    expect(back).toContain(` 202403051200007654321 `);
    expect(back).toContain(` ${refund.outRefundNo} `);
    expect(back).toContain(' C000000000002 D000000000250 ');
    expect(back).toContain(` 04 00 000902 `);
    expect(back).toContain(` ${CONSUME_QUERY_ID} ${MER_ID} `);
  });

  it('reads back the same trades, to the fen, with the year from the settle day', () => {
    const text = unionpayTransactionFile(BILL_DATE, MER_ID, [payment, refund]);
    expect(readUnionpayTransactionFile(text, BILL_DATE)).toEqual([expectedUnionpayRow(payment), expectedUnionpayRow(refund)]);
    expect(readUnionpayTransactionFile(text, BILL_DATE)[1]).toMatchObject({ outTradeNo: '', channelTradeNo: CONSUME_QUERY_ID, outRefundNo: refund.outRefundNo, channelRefundNo: refund.channelRefundNo });
  });

  it('holds only the UnionPay trades of that Beijing day; a day without any is an empty file', () => {
    const late = billTrade({ channel: 'unionpay', channelTradeNo: '202403060000001111111', outTradeNo: 'LATE0001', paidAt: new Date(BILL_DAY_START_MS + 24 * 3_600_000) });
    const alipay = billTrade({ channel: 'alipay', outTradeNo: 'ALI' });
    expect(readUnionpayTransactionFile(unionpayTransactionFile(BILL_DATE, MER_ID, [late, payment, alipay]), BILL_DATE).map((r) => r.outTradeNo)).toEqual([payment.outTradeNo]);
    expect(unionpayTransactionFile(BILL_DATE, MER_ID, [])).toBe('');
    expect(readUnionpayTransactionFile('', BILL_DATE)).toEqual([]);
  });

  it('survives the round trip exactly for random trades, through the archive and fileContent too', () => {
    fc.assert(
      fc.property(fc.array(unionpayTrade, { maxLength: 30 }), (trades) => {
        const { fileName, zip } = unionpayBillZip(BILL_DATE, MER_ID, trades);
        expect(fileName).toBe(`${MER_ID}_20240305.zip`);
        const back = readUnionpayFileContent(unionpayFileContent(zip));
        expect(readUnionpayBillZip(back, BILL_DATE)).toEqual(trades.map(expectedUnionpayRow));
      }),
    );
  });

  it('names the ZM entry INN{yyMMdd}88ZM_{merId} and finds it among other files of the archive', () => {
    const { zip } = unionpayBillZip(BILL_DATE, MER_ID, [payment]);
    const [entry] = unzipFiles(zip);
    expect(entry!.name).toBe(`INN24030588ZM_${MER_ID}`);
    const withOthers = zipFiles([{ name: `INN24030588ZME_${MER_ID}`, data: Buffer.from('errors\r\n') }, entry!]);
    expect(readUnionpayBillZip(withOthers, BILL_DATE)).toEqual([expectedUnionpayRow(payment)]);
    expect(() => readUnionpayBillZip(zipFiles([{ name: 'README', data: Buffer.from('x') }]), BILL_DATE)).toThrow(/no INN…ZM_/);
  });

  it('dates a December line in a January file in the year before, and Feb 29 likewise', () => {
    const dec31 = billTrade({ channel: 'unionpay', channelTradeNo: CONSUME_QUERY_ID, outTradeNo: 'ORDER001', paidAt: new Date(Date.UTC(2024, 11, 31, 15, 59, 59)) });
    const text = unionpayTransactionFile('2024-12-31', MER_ID, [dec31]);
    expect(readUnionpayTransactionFile(text, '2025-01-01')[0]!.paidAt).toBe('2024-12-31 23:59:59');
    expect(readUnionpayTransactionFile(text, '2024-12-31')[0]!.paidAt).toBe('2024-12-31 23:59:59');
    const leap = billTrade({ channel: 'unionpay', channelTradeNo: CONSUME_QUERY_ID, outTradeNo: 'ORDER002', paidAt: new Date(Date.UTC(2024, 1, 29, 4, 0, 0)) });
    expect(readUnionpayTransactionFile(unionpayTransactionFile('2024-02-29', MER_ID, [leap]), '2025-01-01')[0]!.paidAt).toBe('2024-02-29 12:00:00');
  });

  it('reads lines that go on with the fields it does not read, and LF line ends', () => {
    const line = unionpayTransactionFile(BILL_DATE, MER_ID, [payment]).trimEnd();
    expect(readUnionpayTransactionFile(`${line} 0 ${' '.repeat(15)} C000000000994\n`, BILL_DATE)).toEqual([expectedUnionpayRow(payment)]);
  });

  it('refuses malformed lines: short, shifted, amounts that are not digits, unknown txnType, bad time, non-ASCII', () => {
    const line = unionpayTransactionFile(BILL_DATE, MER_ID, [payment]).trimEnd();
    const at = (needle: string) => line.indexOf(needle);
    const replaced = (needle: string, by: string) => line.slice(0, at(needle)) + by + line.slice(at(needle) + needle.length);
    expect(() => readUnionpayTransactionFile(line.slice(0, 100), BILL_DATE)).toThrow(/too short/);
    expect(() => readUnionpayTransactionFile(` ${line}`, BILL_DATE)).toThrow(BillFormatError);
    expect(() => readUnionpayTransactionFile(replaced('000000001000', '00000000100x'), BILL_DATE)).toThrow(/交易金额/);
    expect(() => readUnionpayTransactionFile(replaced('000000001000', '000000000000'), BILL_DATE)).toThrow(/no positive amount/);
    expect(() => readUnionpayTransactionFile(replaced(' 01 01 000902', ' 31 00 000902'), BILL_DATE)).toThrow(/交易类型 not supported/);
    expect(() => readUnionpayTransactionFile(replaced('0305100005', '0230100005'), BILL_DATE)).toThrow(BillFormatError);
    expect(() => readUnionpayTransactionFile(replaced('D000000000006', 'X000000000006'), BILL_DATE)).toThrow(/商户手续费/);
    expect(() => readUnionpayTransactionFile(replaced(CONSUME_QUERY_ID, '20240305100005123456 '), BILL_DATE)).toThrow(/查询流水号/);
    expect(() => readUnionpayTransactionFile(replaced('S22', '消费'), BILL_DATE)).toThrow(BillFormatError);
    expect(() => readUnionpayFileContent('not base64!')).toThrow(/not base64/);
    expect(() => readUnionpayFileContent(Buffer.from('plain').toString('base64'))).toThrow(/does not inflate/);
  });

  it('refuses trades the file cannot carry', () => {
    const bad: Partial<BillTrade>[] = [
      { channelTradeNo: '6200123' },
      { outTradeNo: 'x'.repeat(33) },
      { amountMinor: 10n ** 12n },
      { kind: 'refund', outRefundNo: 'R1', channelRefundNo: undefined },
      { currency: 'USD' },
    ];
    for (const over of bad) expect(() => unionpayTransactionFile(BILL_DATE, MER_ID, [{ ...payment, ...over }])).toThrow(BillFormatError);
    expect(() => unionpayTransactionFile(BILL_DATE, '1234', [])).toThrow(/15 digits/);
  });
});
