import { BillRow, BillTrade, assertAccountId, tradesForBill } from './bill-types';
import { DAY_MS, beijingDayStart, beijingWallClock, formatBeijingTime, pad2, parseBeijingTime } from './beijing-time';
import { CSV_LINE_END, columnIndex, csvLine, parseCsv } from './csv';
import { decodeGbk, encodeGbk, toGbkRepresentable } from './gbk';
import { unzipFiles, zipFiles } from './zip';
import { BillFormatError, fenToYuan, yuanToFen } from './yuan';

/*
 * Alipay's daily business statement (bill_type=trade of alipay.data.dataservice.bill.downloadurl.query):
 * a `.csv.zip` holding two GBK CSV files, the detail (业务明细) and the summary (业务明细(汇总)).
 *
 * Taken from public material (open-source reconciliation code and test fixtures cut from real downloads,
 * several independent projects agreeing), not from an Alipay specification, which is not public:
 * - the detail's comment lines (#支付宝业务明细查询, #账号：[<pid>0156], #起始日期：[…]   终止日期：[…]), the
 *   start and end markers with their exact dash counts, the 25-column header, the trailing summary lines
 *   (#交易合计：N笔，商家实收共X元，商家优惠共0.00元 / #退款合计：N笔，商家实收退款共-X元，商家优惠退款共0.00元 /
 *   #导出时间：[…]), 交易 and 退款 rows with refunds negative, 交易合计 counting payments only;
 * - the tab Alipay appends to number-like fields (trade numbers, 业务类型, store and operator fields,
 *   商家红包消费金额, 退款批次号/请求号) so that Excel keeps them as text;
 * - the file names `<pid>0156_<yyyyMMdd>_业务明细.csv` and `…_业务明细(汇总).csv`, and the GBK encoding;
 * - the summary's markers (业务汇总列表, 业务汇总列表结束), its header, and a 合计 row read by position.
 * Not confirmed: the sign of 服务费（元） (written negative on payments and positive, the fee returned,
 * on refunds; the reader takes the magnitude either way), whether the summary lists one row per store before
 * 合计 (only 合计 is written), the summary's title line #支付宝业务汇总查询 (seen in one parser only), the
 * line ends (CRLF is written; the readers take CRLF or LF), and the zip entries' name encoding (real archives
 * are said to store GBK names without the UTF-8 flag; ours store UTF-8 with the flag, and the reader finds the
 * files by their first line, not by name).
 * The real account field is the merchant's PID (2088…); the emulator passes its app id in its place.
 */

/** Alipay appends 0156 to the account in the statement's file names and its #账号 line. */
export const ALIPAY_BILL_ACCOUNT_SUFFIX = '0156';
export const ALIPAY_BILL_DETAIL_HEADER = [
  '支付宝交易号', '商户订单号', '业务类型', '商品名称', '创建时间', '完成时间', '门店编号', '门店名称', '操作员', '终端号', '对方账户',
  '订单金额（元）', '商家实收（元）', '支付宝红包（元）', '集分宝（元）', '支付宝优惠（元）', '商家优惠（元）', '券核销金额（元）', '券名称',
  '商家红包消费金额（元）', '卡消费金额（元）', '退款批次号/请求号', '服务费（元）', '分润（元）', '备注',
] as const;
export const ALIPAY_BILL_SUMMARY_HEADER = [
  '门店编号', '门店名称', '交易订单总笔数', '退款订单总笔数', '订单金额（元）', '商家实收（元）', '支付宝优惠（元）', '商家优惠（元）',
  '卡消费金额（元）', '服务费（元）', '分润（元）', '实收净额（元）',
] as const;

const DETAIL_TITLE = '#支付宝业务明细查询';
const SUMMARY_TITLE = '#支付宝业务汇总查询';
const DETAIL_LIST_START = `#${'-'.repeat(41)}业务明细列表${'-'.repeat(40)}`;
const DETAIL_LIST_END = `#${'-'.repeat(41)}业务明细列表结束${'-'.repeat(36)}`;
const SUMMARY_LIST_START = `#${'-'.repeat(41)}业务汇总列表${'-'.repeat(40)}`;
const SUMMARY_LIST_END = `#${'-'.repeat(40)}业务汇总列表结束${'-'.repeat(37)}`;
const SUMMARY_TOTAL_LABEL = '合计';
const BUSINESS_TYPE: Record<BillTrade['kind'], string> = { payment: '交易', refund: '退款' };
const ZERO_YUAN = '0.00';
/** Excel would show a long number in scientific notation; Alipay keeps such fields text with a trailing tab. */
const TEXT_MARK = '\t';
/** The statement is exported in the early hours after the day ends; a fixed hour keeps the archive byte-identical per day. */
const ALIPAY_EXPORT_DELAY_AFTER_DAY_MS = 6 * 60 * 60 * 1000;
const PAYMENT_TOTAL_LINE = /^#交易合计：(\d+)笔，商家实收共(-?\d+(?:\.\d+)?)元/;
const REFUND_TOTAL_LINE = /^#退款合计：(\d+)笔，商家实收退款共(-?\d+(?:\.\d+)?)元/;

export interface AlipayBillOptions {
  /** The #导出时间 and the zip entries' time; defaults to 06:00 Beijing the day after, so one day's archive never changes. */
  exportedAt?: Date;
}

/** The totals a statement prints, with refund amounts as positive magnitudes. */
export interface AlipayBillTotals {
  paymentCount: number;
  paymentTotalMinor: bigint;
  refundCount: number;
  refundTotalMinor: bigint;
  /** Service fees charged on payments less those returned with refunds. */
  feeTotalMinor: bigint;
  /** 实收净额: payments less refunds less the net fee. */
  netMinor: bigint;
}

/**
 * The statement archive for one Beijing day (`yyyy-MM-dd`): the Alipay trades of `trades` completed that day,
 * in the order given. Throws (BillFormatError) on a trade no statement could carry.
 */
export function alipayBillZip(date: string, appId: string, trades: readonly BillTrade[], options: AlipayBillOptions = {}): Buffer {
  assertAccountId('appId', appId);
  const dayStart = beijingDayStart(date);
  const selected = tradesForBill('alipay', date, trades);
  const exportedAt = options.exportedAt ?? new Date(dayStart.getTime() + DAY_MS + ALIPAY_EXPORT_DELAY_AFTER_DAY_MS);
  const account = `${appId}${ALIPAY_BILL_ACCOUNT_SUFFIX}`;
  const heading = [`#账号：[${account}]`, `#起始日期：[${chineseTime(dayStart)}]   终止日期：[${chineseTime(new Date(dayStart.getTime() + DAY_MS))}]`];
  const exported = `#导出时间：[${chineseTime(exportedAt)}]`;
  const totals = totalsOf(selected);
  const filePrefix = `${account}_${date.replace(/-/g, '')}_业务明细`;
  const detail = [
    DETAIL_TITLE,
    ...heading,
    DETAIL_LIST_START,
    csvLine(ALIPAY_BILL_DETAIL_HEADER),
    ...selected.map((t) => csvLine(detailRow(t))),
    DETAIL_LIST_END,
    `#交易合计：${totals.paymentCount}笔，商家实收共${fenToYuan(totals.paymentTotalMinor)}元，商家优惠共${ZERO_YUAN}元`,
    `#退款合计：${totals.refundCount}笔，商家实收退款共${fenToYuan(-totals.refundTotalMinor)}元，商家优惠退款共${ZERO_YUAN}元`,
    exported,
  ];
  const summary = [
    SUMMARY_TITLE,
    ...heading,
    SUMMARY_LIST_START,
    csvLine(ALIPAY_BILL_SUMMARY_HEADER),
    csvLine(summaryTotalRow(totals)),
    SUMMARY_LIST_END,
    exported,
  ];
  const modifiedAt = beijingWallClock(exportedAt);
  return zipFiles([
    { name: `${filePrefix}.csv`, data: encodeGbk(lines(detail)), modifiedAt },
    { name: `${filePrefix}(汇总).csv`, data: encodeGbk(lines(summary)), modifiedAt },
  ]);
}

/** The detail rows of a statement archive, found by header name; amounts back in fen, refunds as positive amounts. */
export function readAlipayBill(zip: Buffer): BillRow[] {
  const records = parseCsv(statementTexts(zip).detail);
  const table = tableBetween(records, DETAIL_LIST_END);
  const col = columnIndex(table.header, ['支付宝交易号', '商户订单号', '业务类型', '完成时间', '订单金额（元）', '服务费（元）', '退款批次号/请求号']);
  return table.rows.map((cells) => {
    const get = (name: string) => cell(cells, col, name);
    const kind = kindOf(get('业务类型'));
    const signedAmount = yuanToFen(get('订单金额（元）'));
    if (kind === 'payment' ? signedAmount <= 0n : signedAmount >= 0n) {
      throw new BillFormatError(`Alipay ${BUSINESS_TYPE[kind]} row ${get('支付宝交易号')} has amount ${get('订单金额（元）')}: payments are positive, refunds negative`);
    }
    const fee = yuanToFen(get('服务费（元）'));
    const paidAt = get('完成时间');
    parseBeijingTime(paidAt);
    const row: BillRow = {
      channelTradeNo: get('支付宝交易号'),
      outTradeNo: get('商户订单号'),
      kind,
      amountMinor: signedAmount < 0n ? -signedAmount : signedAmount,
      feeMinor: fee < 0n ? -fee : fee,
      paidAt,
    };
    const outRefundNo = get('退款批次号/请求号');
    if (kind === 'refund' && outRefundNo) row.outRefundNo = outRefundNo;
    return row;
  });
}

/**
 * The totals of a statement archive: counts and amounts from the detail's closing lines, the fee and the net from
 * the summary file's 合计 row. Throws when the two files disagree, which no statement of Alipay's does.
 */
export function readAlipayBillTotals(zip: Buffer): AlipayBillTotals {
  const texts = statementTexts(zip);
  const commentLines = parseCsv(texts.detail).map((r) => r.join(','));
  const payment = matchLine(commentLines, PAYMENT_TOTAL_LINE, '#交易合计');
  const refund = matchLine(commentLines, REFUND_TOTAL_LINE, '#退款合计');
  const fromDetail = {
    paymentCount: Number(payment[1]),
    paymentTotalMinor: yuanToFen(payment[2]),
    refundCount: Number(refund[1]),
    refundTotalMinor: -yuanToFen(refund[2]),
  };
  if (texts.summary === undefined) throw new BillFormatError('Alipay statement archive has no summary (业务明细(汇总)) file');
  const table = tableBetween(parseCsv(texts.summary), SUMMARY_LIST_END);
  const col = columnIndex(table.header, ['门店编号', '交易订单总笔数', '退款订单总笔数', '商家实收（元）', '服务费（元）', '实收净额（元）']);
  const total = table.rows.find((cells) => cell(cells, col, '门店编号') === SUMMARY_TOTAL_LABEL);
  if (!total) throw new BillFormatError(`Alipay summary file has no ${SUMMARY_TOTAL_LABEL} row`);
  const get = (name: string) => cell(total, col, name);
  const consistent =
    Number(get('交易订单总笔数')) === fromDetail.paymentCount &&
    Number(get('退款订单总笔数')) === fromDetail.refundCount &&
    yuanToFen(get('商家实收（元）')) === fromDetail.paymentTotalMinor - fromDetail.refundTotalMinor;
  if (!consistent) throw new BillFormatError('Alipay statement: the summary file does not match the detail file');
  return { ...fromDetail, feeTotalMinor: -yuanToFen(get('服务费（元）')), netMinor: yuanToFen(get('实收净额（元）')) };
}

function detailRow(t: BillTrade): string[] {
  const sign = t.kind === 'refund' ? -1n : 1n;
  const amount = fenToYuan(sign * t.amountMinor);
  const time = formatBeijingTime(t.paidAt);
  return [
    t.channelTradeNo + TEXT_MARK,
    t.outTradeNo + TEXT_MARK,
    BUSINESS_TYPE[t.kind] + TEXT_MARK,
    toGbkRepresentable(t.subject),
    time, // 创建时间: the emulator keeps one time per line
    time,
    TEXT_MARK, // 门店编号
    TEXT_MARK, // 门店名称
    TEXT_MARK, // 操作员
    TEXT_MARK, // 终端号
    TEXT_MARK, // 对方账户
    amount, // 订单金额
    amount, // 商家实收: no discounts in the emulator
    ZERO_YUAN, // 支付宝红包
    ZERO_YUAN, // 集分宝
    ZERO_YUAN, // 支付宝优惠
    ZERO_YUAN, // 商家优惠
    ZERO_YUAN, // 券核销金额
    '', // 券名称
    ZERO_YUAN + TEXT_MARK, // 商家红包消费金额
    ZERO_YUAN, // 卡消费金额
    (t.kind === 'refund' ? (t.outRefundNo ?? '') : '') + TEXT_MARK,
    fenToYuan(-sign * t.feeMinor), // 服务费: charged (negative) on a payment, returned (positive) with a refund
    ZERO_YUAN, // 分润
    '', // 备注
  ];
}

function summaryTotalRow(t: AlipayBillTotals): string[] {
  const receipt = fenToYuan(t.paymentTotalMinor - t.refundTotalMinor);
  return [SUMMARY_TOTAL_LABEL, '', String(t.paymentCount), String(t.refundCount), receipt, receipt, ZERO_YUAN, ZERO_YUAN, ZERO_YUAN, fenToYuan(-t.feeTotalMinor), ZERO_YUAN, fenToYuan(t.netMinor)];
}

function totalsOf(trades: readonly BillTrade[]): AlipayBillTotals {
  const payments = trades.filter((t) => t.kind === 'payment');
  const refunds = trades.filter((t) => t.kind === 'refund');
  const sum = (ts: readonly BillTrade[], pick: (t: BillTrade) => bigint) => ts.reduce((acc, t) => acc + pick(t), 0n);
  const paymentTotalMinor = sum(payments, (t) => t.amountMinor);
  const refundTotalMinor = sum(refunds, (t) => t.amountMinor);
  const feeTotalMinor = sum(payments, (t) => t.feeMinor) - sum(refunds, (t) => t.feeMinor);
  return { paymentCount: payments.length, paymentTotalMinor, refundCount: refunds.length, refundTotalMinor, feeTotalMinor, netMinor: paymentTotalMinor - refundTotalMinor - feeTotalMinor };
}

/** The GBK texts of the two files, told apart by their first line rather than by name (see the note on names above). */
function statementTexts(zip: Buffer): { detail: string; summary?: string } {
  let detail: string | undefined;
  let summary: string | undefined;
  for (const file of unzipFiles(zip)) {
    const text = decodeGbk(file.data);
    if (text.startsWith(DETAIL_TITLE)) detail = text;
    else if (text.startsWith(SUMMARY_TITLE)) summary = text;
  }
  if (detail === undefined) throw new BillFormatError(`Alipay statement archive has no detail file (one starting ${DETAIL_TITLE})`);
  return { detail, summary };
}

/** The first record that is not a # comment is the header; data rows follow until the end marker. Cells are trimmed of Alipay's tabs. */
function tableBetween(records: string[][], endMarker: string): { header: string[]; rows: string[][] } {
  const body: string[][] = [];
  for (const record of records) {
    if (record[0].startsWith(endMarker)) break;
    if (!record[0].startsWith('#')) body.push(record.map((c) => c.trim()));
  }
  const [header, ...rows] = body;
  if (!header) throw new BillFormatError('Alipay statement file has no header row');
  return { header, rows };
}

function cell(cells: readonly string[], col: Map<string, number>, name: string): string {
  const at = col.get(name);
  if (at === undefined || at >= cells.length) throw new BillFormatError(`Alipay statement row lacks ${name}: ${cells.join(',')}`);
  return cells[at];
}

function kindOf(businessType: string): BillTrade['kind'] {
  if (businessType === BUSINESS_TYPE.payment) return 'payment';
  if (businessType === BUSINESS_TYPE.refund) return 'refund';
  throw new BillFormatError(`Alipay 业务类型 not supported: ${JSON.stringify(businessType)}`);
}

function matchLine(lines: readonly string[], pattern: RegExp, what: string): RegExpExecArray {
  for (const line of lines) {
    const m = pattern.exec(line);
    if (m) return m;
  }
  throw new BillFormatError(`Alipay statement has no ${what} line`);
}

/** `yyyy年MM月dd日 HH:mm:ss` in Beijing time, as the statement's comment lines print it. */
function chineseTime(at: Date): string {
  const c = beijingWallClock(at);
  return `${c.year}年${pad2(c.month)}月${pad2(c.day)}日 ${pad2(c.hour)}:${pad2(c.minute)}:${pad2(c.second)}`;
}

function lines(all: readonly string[]): string {
  return all.map((l) => l + CSV_LINE_END).join('');
}
