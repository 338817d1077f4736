import {
  beijingCompactTime,
  beijingDateTime,
  beijingDayStart,
  DAY_MS,
  decodeUnionpayForm,
  encodeUnionpayForm,
  readUnionpayBillZip,
  readUnionpayFileContent,
  signUnionpay,
  verifyUnionpay,
  type BillRow,
  type UnionpayParams,
} from '@paystream/shared/channel-protocols';
import { callText } from '@paystream/shared/platform';
import type { UnionpaySettings } from '@paystream/channel-gateway/feature-charge';
import { BILL_CALL_TIMEOUT_MS, BillDownloadError, reach, readBill, type BillDownloader } from './bill-download';

/** ACP 5.1.0 file transfer for the merchant's transaction files of a settle day. */
const FILE_TRANSFER = { version: '5.1.0', encoding: 'UTF-8', txnType: '76', txnSubType: '01', bizType: '000000', accessType: '0', fileType: '00' } as const;
const RESP_SUCCESS = '00';
/** 文件不存在: no file for the day, which has no transaction (UnionPay produces none then). */
const RESP_FILE_NOT_EXIST = '98';
/** settleDate is MMDD: it names one day only within the year before today (the latest such day is meant). */
const SETTLE_DATE_REACH_DAYS_MAX = 364;

/**
 * UnionPay's transaction file: an ACP file transfer request (txnType 76, settleDate MMDD, fileType 00) signed with
 * signMethod 01, and its answer verified (signature and platform certId) before anything in it is trusted; the answer
 * carries the day's archive as fileContent (deflated, base64), which holds the ZM file read here. settleDate names no
 * year: UnionPay keeps the files of recent days only, so the latest such day is meant.
 */
export class UnionpayBillDownloader implements BillDownloader {
  constructor(private readonly settings: UnionpaySettings) {}

  async download(date: string): Promise<BillRow[]> {
    const today = beijingDateTime().slice(0, 10);
    if (date > today) throw new BillDownloadError('refused', `UnionPay has no file for ${date}, a day to come`);
    if ((beijingDayStart(today).getTime() - beijingDayStart(date).getTime()) / DAY_MS > SETTLE_DATE_REACH_DAYS_MAX) {
      throw new BillDownloadError('refused', `settleDate (MMDD) cannot name ${date}: more than ${SETTLE_DATE_REACH_DAYS_MAX} days back`);
    }
    const settleDate = date.slice(5, 7) + date.slice(8, 10);
    const params: UnionpayParams = { ...FILE_TRANSFER, merId: this.settings.merId, settleDate, txnTime: beijingCompactTime() };
    const signed = signUnionpay(params, this.settings.merchantPrivateKeyPem, this.settings.merchantCertId);
    const answer = await reach(() =>
      callText(this.settings.fileTransferUrl, { method: 'POST', timeoutMs: BILL_CALL_TIMEOUT_MS, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }, body: encodeUnionpayForm(signed) }),
    );
    if (answer.status >= 500) throw new BillDownloadError('unreachable', `UnionPay file transfer answered ${answer.status}`);
    const p = decodeUnionpayForm(answer.text);
    if (p.certId !== this.settings.platformCertId || !verifyUnionpay(p, this.settings.platformPublicKeyPem)) throw new BillDownloadError('unverified', "UnionPay's file transfer answer does not verify");
    if (p.merId !== this.settings.merId || p.settleDate !== settleDate || p.txnType !== FILE_TRANSFER.txnType) {
      throw new BillDownloadError('malformed', `UnionPay answered for ${p.merId ?? '?'} ${p.txnType ?? '?'} ${p.settleDate ?? '?'}, not for the file of ${settleDate}`);
    }
    if (p.respCode === RESP_FILE_NOT_EXIST) return [];
    if (p.respCode !== RESP_SUCCESS || !p.fileContent) throw new BillDownloadError('refused', `UnionPay refused the file of ${date}: respCode ${p.respCode ?? '?'} ${p.respMsg ?? ''}`.trim());
    const fileContent = p.fileContent;
    return readBill(() => readUnionpayBillZip(readUnionpayFileContent(fileContent), date));
  }
}
