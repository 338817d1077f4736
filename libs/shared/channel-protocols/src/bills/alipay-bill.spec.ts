import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { decode, encode } from 'iconv-lite';
import { ALIPAY_BILL_DETAIL_HEADER, alipayBillZip, readAlipayBill, readAlipayBillTotals } from './alipay-bill';
import { BILL_DATE, BILL_DAY_START_MS, billTrade, billTradeArbitrary, expectedRow, sumOf } from './bill-arbitraries';
import { BillTrade } from './bill-types';
import { unzipFiles, zipFiles } from './zip';
import { readZipWithJava } from './zip-reference.testing';
import { BillFormatError } from './yuan';

const APP_ID = '2021004100000001';
const GBK_JIAOYI = Buffer.from([0xbd, 0xbb, 0xd2, 0xd7]); // '交易' in GBK
const payment = billTrade({ channel: 'alipay' });
const refund = billTrade({
  channel: 'alipay',
  kind: 'refund',
  amountMinor: 5n,
  feeMinor: 0n,
  outRefundNo: 'RF-1',
  subject: 'iPhone 16, "256G"',
  paidAt: new Date(BILL_DAY_START_MS + 23 * 3_600_000 + 59 * 60_000 + 59_000),
});

function filesOf(zip: Buffer): { name: string; text: string; bytes: Buffer }[] {
  return unzipFiles(zip).map((f) => ({ name: f.name, bytes: f.data, text: decode(f.data, 'gbk') }));
}

describe('Alipay daily statement', () => {
  it('is a zip of two GBK CSV files named as Alipay names them', () => {
    const files = filesOf(alipayBillZip(BILL_DATE, APP_ID, [payment, refund]));
    expect(files.map((f) => f.name)).toEqual([`${APP_ID}0156_20240305_业务明细.csv`, `${APP_ID}0156_20240305_业务明细(汇总).csv`]);
    const detail = files[0].bytes;
    expect(detail.includes(GBK_JIAOYI)).toBe(true);
    expect(detail.includes(encode('业务明细', 'gbk'))).toBe(true);
    expect(encode('业务明细', 'gbk')).toEqual(Buffer.from([0xd2, 0xb5, 0xce, 0xf1, 0xc3, 0xf7, 0xcf, 0xb8]));
    expect(detail.includes(Buffer.from('交易', 'utf8'))).toBe(false);
    expect(detail.toString('utf8')).not.toContain('交易');
  });

  it('lays the detail out as the business statement: comments, header, rows, end marker, totals', () => {
    const detail = filesOf(alipayBillZip(BILL_DATE, APP_ID, [payment, refund]))[0].text;
    expect(detail.endsWith('\r\n')).toBe(true);
    const lines = detail.split('\r\n');
    expect(lines.some((l) => /[\r\n]/.test(l))).toBe(false); // every line ends in CRLF
    expect(lines.slice(0, 5)).toEqual([
      '#支付宝业务明细查询',
      `#账号：[${APP_ID}0156]`,
      '#起始日期：[2024年03月05日 00:00:00]   终止日期：[2024年03月06日 00:00:00]',
      '#-----------------------------------------业务明细列表----------------------------------------',
      ALIPAY_BILL_DETAIL_HEADER.join(','),
    ]);
    expect(lines[5]).toBe(
      '2024030522001400000000000001\t,ORD-1\t,交易\t,测试商品,2024-03-05 10:00:05,2024-03-05 10:00:05,\t,\t,\t,\t,\t,123.45,123.45,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,-0.74,0.00,',
    );
    expect(lines[6]).toBe(
      '2024030522001400000000000001\t,ORD-1\t,退款\t,"iPhone 16, ""256G""",2024-03-05 23:59:59,2024-03-05 23:59:59,\t,\t,\t,\t,\t,-0.05,-0.05,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,RF-1\t,0.00,0.00,',
    );
    expect(lines.slice(7)).toEqual([
      '#-----------------------------------------业务明细列表结束------------------------------------',
      '#交易合计：1笔，商家实收共123.45元，商家优惠共0.00元',
      '#退款合计：1笔，商家实收退款共-0.05元，商家优惠退款共0.00元',
      '#导出时间：[2024年03月06日 06:00:00]',
      '',
    ]);
  });

  it('lays the summary file out with its 合计 row', () => {
    const summary = filesOf(alipayBillZip(BILL_DATE, APP_ID, [payment, refund]))[1].text.split('\r\n');
    expect(summary).toEqual([
      '#支付宝业务汇总查询',
      `#账号：[${APP_ID}0156]`,
      '#起始日期：[2024年03月05日 00:00:00]   终止日期：[2024年03月06日 00:00:00]',
      '#-----------------------------------------业务汇总列表----------------------------------------',
      '门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）',
      '合计,,1,1,123.40,123.40,0.00,0.00,0.00,-0.74,0.00,122.66',
      '#----------------------------------------业务汇总列表结束-------------------------------------',
      '#导出时间：[2024年03月06日 06:00:00]',
      '',
    ]);
  });

  it('reads back the same trades, to the fen', () => {
    const zip = alipayBillZip(BILL_DATE, APP_ID, [payment, refund]);
    expect(readAlipayBill(zip)).toEqual([
      { channelTradeNo: payment.channelTradeNo, outTradeNo: 'ORD-1', kind: 'payment', amountMinor: 12345n, feeMinor: 74n, paidAt: '2024-03-05 10:00:05' },
      { channelTradeNo: payment.channelTradeNo, outTradeNo: 'ORD-1', kind: 'refund', amountMinor: 5n, feeMinor: 0n, paidAt: '2024-03-05 23:59:59', outRefundNo: 'RF-1' },
    ]);
    expect(readAlipayBillTotals(zip)).toEqual({ paymentCount: 1, paymentTotalMinor: 12345n, refundCount: 1, refundTotalMinor: 5n, feeTotalMinor: 74n, netMinor: 12266n });
  });

  it('holds only the Alipay trades of that Beijing day', () => {
    const before = billTrade({ channel: 'alipay', outTradeNo: 'EARLY', paidAt: new Date(BILL_DAY_START_MS - 1000) });
    const after = billTrade({ channel: 'alipay', outTradeNo: 'LATE', paidAt: new Date(BILL_DAY_START_MS + 24 * 3_600_000) });
    const wechat = billTrade({ channel: 'wechatpay', outTradeNo: 'WX' });
    expect(readAlipayBill(alipayBillZip(BILL_DATE, APP_ID, [before, payment, after, wechat])).map((r) => r.outTradeNo)).toEqual(['ORD-1']);
    const empty = alipayBillZip(BILL_DATE, APP_ID, []);
    expect(readAlipayBill(empty)).toEqual([]);
    expect(readAlipayBillTotals(empty)).toEqual({ paymentCount: 0, paymentTotalMinor: 0n, refundCount: 0, refundTotalMinor: 0n, feeTotalMinor: 0n, netMinor: 0n });
  });

  it('is byte-identical for the same day and trades', () => {
    expect(alipayBillZip(BILL_DATE, APP_ID, [payment, refund]).equals(alipayBillZip(BILL_DATE, APP_ID, [payment, refund]))).toBe(true);
  });

  it('survives the round trip exactly for random trades, and its totals are the sums', () => {
    fc.assert(
      fc.property(fc.array(billTradeArbitrary('alipay'), { maxLength: 30 }), (trades) => {
        const zip = alipayBillZip(BILL_DATE, APP_ID, trades);
        expect(readAlipayBill(zip)).toEqual(trades.map(expectedRow));
        const fees = sumOf(trades, 'payment', (t) => t.feeMinor) - sumOf(trades, 'refund', (t) => t.feeMinor);
        const paymentTotalMinor = sumOf(trades, 'payment', (t) => t.amountMinor);
        const refundTotalMinor = sumOf(trades, 'refund', (t) => t.amountMinor);
        expect(readAlipayBillTotals(zip)).toEqual({
          paymentCount: trades.filter((t) => t.kind === 'payment').length,
          paymentTotalMinor,
          refundCount: trades.filter((t) => t.kind === 'refund').length,
          refundTotalMinor,
          feeTotalMinor: fees,
          netMinor: paymentTotalMinor - refundTotalMinor - fees,
        });
      }),
    );
  });

  it('replaces what GBK cannot encode in the product name, and never changes a number', () => {
    const zip = alipayBillZip(BILL_DATE, APP_ID, [{ ...payment, subject: '表情😀' }]);
    expect(filesOf(zip)[0].text).toContain(',表情?,');
    expect(readAlipayBill(zip)[0].outTradeNo).toBe('ORD-1');
  });

  it('refuses trades no statement could carry', () => {
    const bad: Partial<BillTrade>[] = [{ currency: 'USD' }, { amountMinor: 0n }, { feeMinor: -1n }, { kind: 'refund', outRefundNo: undefined }, { outTradeNo: 'a,b' }, { outTradeNo: '' }];
    for (const over of bad) expect(() => alipayBillZip(BILL_DATE, APP_ID, [{ ...payment, ...over }])).toThrow(BillFormatError);
    expect(() => alipayBillZip('2024-3-5', APP_ID, [])).toThrow(BillFormatError);
    expect(() => alipayBillZip(BILL_DATE, '../etc', [])).toThrow(BillFormatError);
  });

  it('refuses a corrupted archive with an Error', () => {
    const zip = alipayBillZip(BILL_DATE, APP_ID, [payment, refund]);
    const flipped = Buffer.from(zip);
    flipped[100] ^= 0x5a;
    expect(() => readAlipayBill(flipped)).toThrow(Error);
    expect(() => readAlipayBill(zip.subarray(0, zip.length / 2))).toThrow(Error);
  });

  it('refuses an amount with three decimals, a UTF-8 file and an unknown business type', () => {
    const detail = filesOf(alipayBillZip(BILL_DATE, APP_ID, [payment]))[0].text;
    const rezip = (text: string, encoding = 'gbk') => zipFiles([{ name: 'detail.csv', data: encode(text, encoding) }]);
    expect(() => readAlipayBill(rezip(detail.replace(',123.45,123.45,', ',123.456,123.45,')))).toThrow(/at most 2 decimals: "123.456"/);
    expect(() => readAlipayBill(rezip(detail, 'utf8'))).toThrow(BillFormatError);
    expect(() => readAlipayBill(rezip(detail.replace('交易\t,', '转账\t,')))).toThrow(/业务类型 not supported/);
    expect(() => readAlipayBill(rezip(detail.replace(',123.45,123.45,', ',-123.45,-123.45,')))).toThrow(/payments are positive/);
  });

  it('reads the tab-padded rows of a statement as Alipay writes them, by header name', () => {
    const text = [
      '#支付宝业务明细查询',
      '#账号：[20880000000000000156]',
      '#起始日期：[2024年03月05日 00:00:00]   终止日期：[2024年03月06日 00:00:00]',
      '#-----------------------------------------业务明细列表----------------------------------------',
      ALIPAY_BILL_DETAIL_HEADER.join(','),
      '2024030522001411111111111111\t,OUT-9\t,交易\t,咖啡,2024-03-05 08:00:00,2024-03-05 08:00:03,S1\t,门店\t,op\t,\t,*三(138****0000)\t,9.90,9.90,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,-0.06,0.00,',
      '#-----------------------------------------业务明细列表结束------------------------------------',
      '#交易合计：1笔，商家实收共9.90元，商家优惠共0.00元',
    ].join('\n');
    expect(readAlipayBill(zipFiles([{ name: 'x.csv', data: encode(text, 'gbk') }]))).toEqual([
      { channelTradeNo: '2024030522001411111111111111', outTradeNo: 'OUT-9', kind: 'payment', amountMinor: 990n, feeMinor: 6n, paidAt: '2024-03-05 08:00:03' },
    ]);
  });

  describe('read by java.util.zip (an independent ZIP and GBK implementation)', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'paystream-alipay-bill-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** RFC 4180 fields of one CSV line (quoted fields, doubled quotes), enough for the statement. */
    const csvFields = (line: string): string[] => [...line.matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g)].map((m) => (m[1] !== undefined ? m[1].replace(/""/g, '"') : (m[2] ?? '')));

    it('is a valid archive whose files decode as GBK', () => {
      const path = join(dir, 'statement.csv.zip');
      writeFileSync(path, alipayBillZip(BILL_DATE, APP_ID, [payment, refund]));
      const files = readZipWithJava(path, 'GBK');
      expect(files.map((f) => f.name)).toEqual(filesOf(readFileSync(path)).map((f) => f.name));
      const detail = files.find((f) => f.name.endsWith('_业务明细.csv'));
      const rows = detail!.data
        .toString('utf8')
        .split('\r\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map(csvFields);
      expect([rows[0]![0], rows[2]![3], rows[2]![11]]).toEqual(['支付宝交易号', 'iPhone 16, "256G"', '-0.05']);
    });
  });
});
