import { deflateSync, inflateSync } from 'node:zlib';
import { BillRow, BillTrade, tradesForBill } from './bill-types';
import { beijingDayStart, beijingWallClock, DAY_MS, pad2, parseBeijingTime } from './beijing-time';
import { unzipFiles, zipFiles } from './zip';
import { BillFormatError } from './yuan';

/*
 * UnionPay's merchant transaction detail file (全渠道商户交易流水文件, the "ZM" file of the daily archive) as ACP 5.1.0
 * file transfer (txnType 76, fileType 00) hands it over: the answer's fileContent is the archive deflated (zlib, as
 * the ACP SDK's inflater expects) and base64-encoded; the archive holds the ZM file of the settle day.
 *
 * Mirrored from the ACP file interface as public integrations lay it out (field order and widths of the ZM file):
 * one transaction a line, fixed-width fields each followed by one space, numeric fields zero-padded on the left,
 * text fields space-padded on the right; 交易传输时间 is MMDDhhmmss (Beijing, no year); 交易金额 is 12 digits of
 * fen; 查询流水号 is the queryId of the transaction (for a refund, the refund's own queryId) and 原交易查询流水号 the
 * refunded consume's queryId; 商户订单号 is the orderId the merchant sent (for a refund, the refund's orderId).
 * Simplified: only the first 28 fields (up to 商户代码) are written, the reader ignores anything after them (the real
 * file goes on with split-settlement, net amount, terminal and instalment fields); the 13-character amounts are a
 * C (credit to the merchant) or D (debit) and 12 digits of fen (our reading of the samples, not confirmed);
 * 交易代码 is S22 for a consume and S30 for a refund (not confirmed: the reader decides on 交易类型, the ACP
 * txnType 01 / 04); the card number, merchant category and the institution codes are not known to a BillTrade and
 * are printed blank or as constants; a day is the Beijing calendar day (UnionPay's settle day turns at 23:00); the
 * archive and entry names (`{merId}_{yyyyMMdd}.zip`, `INN{yyMMdd}88ZM_{merId}`) follow the SDK demos, not a spec.
 */

interface FieldSpec {
  readonly name: string;
  readonly width: number;
  readonly numeric?: boolean;
}

/** The fields of a ZM line, in order, with their widths in characters (ASCII: one byte each). */
export const UNIONPAY_ZM_FIELDS = [
  { name: '交易代码', width: 3 },
  { name: '代理机构标识码', width: 11 },
  { name: '发送机构标识码', width: 11 },
  { name: '系统跟踪号', width: 6 },
  { name: '交易传输时间', width: 10, numeric: true },
  { name: '帐号', width: 19 },
  { name: '交易金额', width: 12, numeric: true },
  { name: '商户类别', width: 4 },
  { name: '终端类型', width: 2 },
  { name: '查询流水号', width: 21 },
  { name: '支付方式（旧）', width: 2 },
  { name: '商户订单号', width: 32 },
  { name: '支付卡类型', width: 2 },
  { name: '原始交易的系统跟踪号', width: 6 },
  { name: '原始交易日期时间', width: 10 },
  { name: '商户手续费', width: 13 },
  { name: '结算金额', width: 13 },
  { name: '支付方式', width: 4 },
  { name: '集团商户代码', width: 15 },
  { name: '交易类型', width: 2 },
  { name: '交易子类', width: 2 },
  { name: '业务类型', width: 6 },
  { name: '帐号类型', width: 2 },
  { name: '账单类型', width: 4 },
  { name: '账单号码', width: 32 },
  { name: '交互方式', width: 1 },
  { name: '原交易查询流水号', width: 21 },
  { name: '商户代码', width: 15 },
] as const satisfies readonly FieldSpec[];

type ZmField = (typeof UNIONPAY_ZM_FIELDS)[number]['name'];

const FIELD_SEPARATOR = ' ';
/** A ZM line as far as this reader goes: every field and the space after it. */
export const UNIONPAY_ZM_LINE_MIN_CHARS = UNIONPAY_ZM_FIELDS.reduce((n, f) => n + f.width + FIELD_SEPARATOR.length, 0);
const LINE_END = '\r\n';
/** The ACP txnType of a consume and of a refund (退货), and their txnSubType. */
const TXN_TYPE: Record<BillTrade['kind'], string> = { payment: '01', refund: '04' };
const TXN_SUB_TYPE: Record<BillTrade['kind'], string> = { payment: '01', refund: '00' };
const TRANSACTION_CODE: Record<BillTrade['kind'], string> = { payment: 'S22', refund: 'S30' };
/** What the gateway pays with: token payments (bizType 000902). */
const BIZ_TYPE_TOKEN_PAY = '000902';
/** 终端类型 07: internet, the channelType of the requests. */
const TERMINAL_TYPE_INTERNET = '07';
const INSTITUTION_CODE = '00049990000';
const CREDIT = 'C';
const DEBIT = 'D';
const SIGNED_AMOUNT = /^([CD])(\d{12})$/;
const AMOUNT_DIGITS = 12;
/** The largest amount 12 digits of fen hold. */
const AMOUNT_MAX_MINOR = 10n ** BigInt(AMOUNT_DIGITS) - 1n;
const QUERY_ID_PATTERN = /^\d{21}$/;
const MER_ID_PATTERN = /^\d{15}$/;
const TRACE_NO_DIGITS = 6;
const ZM_ENTRY_PATTERN = /^INN\d{8}ZM_/;

/**
 * The ZM file of one Beijing day (`yyyy-MM-dd`) for a merchant: the UnionPay trades of `trades` of that day, in the
 * order given, CRLF after every line (an empty file for a day without any). Throws (BillFormatError) on a trade the
 * file cannot carry: a queryId that is not 21 digits, an order number over 32 characters, an amount over 12 digits.
 */
export function unionpayTransactionFile(date: string, merId: string, trades: readonly BillTrade[]): string {
  if (!MER_ID_PATTERN.test(merId)) throw new BillFormatError(`a UnionPay merId is 15 digits: ${JSON.stringify(merId)}`);
  return tradesForBill('unionpay', date, trades)
    .map((t) => zmLine(t, merId) + LINE_END)
    .join('');
}

/** The rows of a ZM file of the settle day `date` (the file prints no year); refunds as positive amounts. */
export function readUnionpayTransactionFile(text: string, date: string): BillRow[] {
  const dayStart = beijingDayStart(date);
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const get = fieldsOf(line);
      const txnType = get('交易类型');
      const kind = txnType === TXN_TYPE.payment ? 'payment' : txnType === TXN_TYPE.refund ? 'refund' : undefined;
      if (!kind) throw new BillFormatError(`UnionPay 交易类型 not supported: ${JSON.stringify(txnType)}`);
      const amountMinor = digitsToFen(get('交易金额'), '交易金额');
      if (amountMinor <= 0n) throw new BillFormatError(`UnionPay row ${get('查询流水号')} has no positive amount`);
      const queryId = queryIdOf(get('查询流水号'), '查询流水号');
      const orderId = get('商户订单号');
      if (!orderId) throw new BillFormatError(`UnionPay row ${queryId} has no 商户订单号`);
      const paidAt = yearOf(get('交易传输时间'), dayStart);
      const fee = signedToFen(get('商户手续费'), '商户手续费');
      if (kind === 'payment') return { channelTradeNo: queryId, outTradeNo: orderId, kind, amountMinor, feeMinor: fee < 0n ? -fee : fee, paidAt };
      // a refund line names the refund (its orderId and queryId) and the consume only by its queryId
      const origQryId = queryIdOf(get('原交易查询流水号'), '原交易查询流水号');
      return { channelTradeNo: origQryId, outTradeNo: '', kind, amountMinor, feeMinor: fee < 0n ? -fee : fee, paidAt, outRefundNo: orderId, channelRefundNo: queryId };
    });
}

/** The day's archive as file transfer names it and its bytes (a ZIP holding the ZM file). */
export function unionpayBillZip(date: string, merId: string, trades: readonly BillTrade[]): { fileName: string; zip: Buffer } {
  const text = unionpayTransactionFile(date, merId, trades);
  const compact = date.replace(/-/g, '');
  return { fileName: `${merId}_${compact}.zip`, zip: zipFiles([{ name: `INN${compact.slice(2)}88ZM_${merId}`, data: Buffer.from(text, 'ascii') }]) };
}

/** The rows of the ZM file in a day's archive; refuses an archive without one. */
export function readUnionpayBillZip(zip: Buffer, date: string): BillRow[] {
  const entry = unzipFiles(zip).find((e) => ZM_ENTRY_PATTERN.test(e.name.split('/').pop() ?? ''));
  if (!entry) throw new BillFormatError('the UnionPay archive holds no INN…ZM_ transaction file');
  return readUnionpayTransactionFile(entry.data.toString('latin1'), date);
}

/** fileContent of a file transfer answer: the file deflated (zlib) and base64-encoded. */
export function unionpayFileContent(file: Buffer): string {
  return deflateSync(file).toString('base64');
}

/** The file behind a fileContent; throws (BillFormatError) on anything that is not base64 of zlib data. */
export function readUnionpayFileContent(fileContent: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(fileContent)) throw new BillFormatError('UnionPay fileContent is not base64');
  try {
    return inflateSync(Buffer.from(fileContent, 'base64'));
  } catch (error) {
    throw new BillFormatError(`UnionPay fileContent does not inflate: ${(error as Error).message}`);
  }
}

function zmLine(t: BillTrade, merId: string): string {
  if (!QUERY_ID_PATTERN.test(t.channelTradeNo)) throw new BillFormatError(`${t.kind} ${t.outTradeNo}: a UnionPay queryId is 21 digits: ${JSON.stringify(t.channelTradeNo)}`);
  if (t.amountMinor > AMOUNT_MAX_MINOR || t.feeMinor > AMOUNT_MAX_MINOR) throw new BillFormatError(`${t.kind} ${t.outTradeNo}: amounts over ${AMOUNT_DIGITS} digits of fen`);
  const refund = t.kind === 'refund';
  const queryId = refund ? (t.channelRefundNo ?? '') : t.channelTradeNo;
  if (!QUERY_ID_PATTERN.test(queryId)) throw new BillFormatError(`refund ${t.outRefundNo}: a UnionPay refund needs its 21-digit queryId as channelRefundNo`);
  const c = beijingWallClock(t.paidAt);
  const values: Record<ZmField, string> = {
    交易代码: TRANSACTION_CODE[t.kind],
    代理机构标识码: INSTITUTION_CODE,
    发送机构标识码: INSTITUTION_CODE,
    系统跟踪号: queryId.slice(-TRACE_NO_DIGITS),
    交易传输时间: `${pad2(c.month)}${pad2(c.day)}${pad2(c.hour)}${pad2(c.minute)}${pad2(c.second)}`,
    帐号: '',
    交易金额: t.amountMinor.toString(),
    商户类别: '',
    终端类型: TERMINAL_TYPE_INTERNET,
    查询流水号: queryId,
    '支付方式（旧）': '',
    商户订单号: refund ? (t.outRefundNo ?? '') : t.outTradeNo,
    支付卡类型: '',
    原始交易的系统跟踪号: refund ? t.channelTradeNo.slice(-TRACE_NO_DIGITS) : '',
    原始交易日期时间: '',
    // the fee is charged on a consume and returned with a refund
    商户手续费: (refund ? CREDIT : DEBIT) + t.feeMinor.toString().padStart(AMOUNT_DIGITS, '0'),
    结算金额: (refund ? DEBIT : CREDIT) + t.amountMinor.toString().padStart(AMOUNT_DIGITS, '0'),
    支付方式: '',
    集团商户代码: '',
    交易类型: TXN_TYPE[t.kind],
    交易子类: TXN_SUB_TYPE[t.kind],
    业务类型: BIZ_TYPE_TOKEN_PAY,
    帐号类型: '',
    账单类型: '',
    账单号码: '',
    交互方式: '',
    原交易查询流水号: refund ? t.channelTradeNo : '',
    商户代码: merId,
  };
  return UNIONPAY_ZM_FIELDS.map((f: FieldSpec) => fixedWidth(f, values[f.name as ZmField], t)).join('');
}

function fixedWidth(f: FieldSpec, value: string, t: BillTrade): string {
  if (value.length > f.width) throw new BillFormatError(`${t.kind} ${t.outTradeNo}: ${f.name} is ${f.width} characters at most: ${JSON.stringify(value)}`);
  return (f.numeric ? value.padStart(f.width, '0') : value.padEnd(f.width, ' ')) + FIELD_SEPARATOR;
}

/** A line's fields by name, trimmed; refuses a line shorter than the fields or with a non-ASCII character (widths are bytes). */
function fieldsOf(line: string): (name: ZmField) => string {
  if (line.length < UNIONPAY_ZM_LINE_MIN_CHARS - FIELD_SEPARATOR.length) throw new BillFormatError(`UnionPay ZM line too short (${line.length} < ${UNIONPAY_ZM_LINE_MIN_CHARS - 1} characters): ${JSON.stringify(line.slice(0, 60))}`);
  if (!/^[\x20-\x7e]*$/.test(line)) throw new BillFormatError(`UnionPay ZM line holds a character outside printable ASCII: ${JSON.stringify(line.slice(0, 60))}`);
  const at = new Map<string, string>();
  let start = 0;
  for (const f of UNIONPAY_ZM_FIELDS) {
    at.set(f.name, line.slice(start, start + f.width).trim());
    const separator = line.charAt(start + f.width);
    if (separator !== FIELD_SEPARATOR && separator !== '') throw new BillFormatError(`UnionPay ZM line: no space after ${f.name} at column ${start + f.width}`);
    start += f.width + FIELD_SEPARATOR.length;
  }
  return (name) => at.get(name)!;
}

function digitsToFen(text: string, what: string): bigint {
  if (!new RegExp(`^\\d{${AMOUNT_DIGITS}}$`).test(text)) throw new BillFormatError(`UnionPay ${what} is not ${AMOUNT_DIGITS} digits of fen: ${JSON.stringify(text)}`);
  return BigInt(text);
}

/** C000000000006 -> 6n, D000000000006 -> -6n. */
function signedToFen(text: string, what: string): bigint {
  const m = SIGNED_AMOUNT.exec(text);
  if (!m) throw new BillFormatError(`UnionPay ${what} is not C or D and ${AMOUNT_DIGITS} digits: ${JSON.stringify(text)}`);
  return m[1] === CREDIT ? BigInt(m[2]!) : -BigInt(m[2]!);
}

function queryIdOf(text: string, what: string): string {
  if (!QUERY_ID_PATTERN.test(text)) throw new BillFormatError(`UnionPay ${what} is not 21 digits: ${JSON.stringify(text)}`);
  return text;
}

/**
 * MMDDhhmmss of a line as `yyyy-MM-dd HH:mm:ss`: the year of the settle day, or the year before when that would put
 * the line after the settle day (a December line in a January file).
 */
function yearOf(mmddhhmmss: string, dayStart: Date): string {
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(mmddhhmmss);
  if (!m) throw new BillFormatError(`UnionPay 交易传输时间 is not MMDDhhmmss: ${JSON.stringify(mmddhhmmss)}`);
  const year = beijingWallClock(dayStart).year;
  const at = (y: number) => `${y}-${m[1]}-${m[2]} ${m[3]}:${m[4]}:${m[5]}`;
  const afterDay = (y: number) => {
    try {
      return parseBeijingTime(at(y)).getTime() >= dayStart.getTime() + DAY_MS;
    } catch {
      return true; // 0229 outside a leap year: the year before it is
    }
  };
  const text = afterDay(year) ? at(year - 1) : at(year);
  parseBeijingTime(text);
  return text;
}
