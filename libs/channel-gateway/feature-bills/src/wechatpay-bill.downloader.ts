import { readWechatpayTradeBill, verifyWechatpaySignature, wechatpayAuthorization, wechatpayBillHash, type BillRow } from '@paystream/shared/channel-protocols';
import { callText } from '@paystream/shared/platform';
import type { WechatpaySettings } from '@paystream/channel-gateway/feature-charge';
import { BILL_CALL_TIMEOUT_MS, BillDownloadError, reach, readBill, type BillDownloader } from './bill-download';

/** WeChat Pay's answer for a day without a successful trade: there is no bill, which reads as an empty one. */
const NO_STATEMENT_EXIST = 'NO_STATEMENT_EXIST';

/**
 * WeChat Pay's trade bill: `GET /v3/bill/tradebill?bill_date=&bill_type=ALL`, authorised and its answer's
 * signature verified, gives download_url and the SHA1 hash_value; the download is authorised the same way, comes
 * back unsigned, and counts only when its SHA1 matches.
 */
export class WechatpayBillDownloader implements BillDownloader {
  constructor(private readonly settings: WechatpaySettings) {}

  async download(date: string): Promise<BillRow[]> {
    const path = `/v3/bill/tradebill?bill_date=${date}&bill_type=ALL`;
    const answer = await reach(() => callText(`${this.settings.baseUrl}${path}`, { method: 'GET', timeoutMs: BILL_CALL_TIMEOUT_MS, headers: this.headers(path) }));
    if (answer.status >= 500) throw new BillDownloadError('unreachable', `WeChat Pay answered ${answer.status}`);
    const h = answer.headers;
    const check =
      h['wechatpay-serial'] !== this.settings.platformSerialNo
        ? { ok: false as const, reason: 'unknown platform serial' }
        : verifyWechatpaySignature({ timestamp: h['wechatpay-timestamp'] ?? '', nonce: h['wechatpay-nonce'] ?? '', signature: h['wechatpay-signature'] ?? '', body: answer.text, publicKeyPem: this.settings.platformPublicKeyPem });
    if (!check.ok) throw new BillDownloadError('unverified', `WeChat Pay's answer does not verify: ${check.reason}`);
    const body = parse(answer.text);
    if (answer.status !== 200) {
      if (body.code === NO_STATEMENT_EXIST) return [];
      throw new BillDownloadError('refused', `WeChat Pay refused the bill of ${date}: ${answer.status} ${String(body.code)} ${String(body.message ?? '')}`);
    }
    if (typeof body.download_url !== 'string' || body.hash_type !== 'SHA1' || typeof body.hash_value !== 'string') throw new BillDownloadError('malformed', 'WeChat Pay answered without download_url or a SHA1 hash');
    const url = new URL(body.download_url);
    // the hash is over the bytes as sent (a BOM included), so they are read as bytes, not as text
    const file = await reach(async () => {
      const res = await fetch(url, { headers: this.headers(`${url.pathname}${url.search}`), signal: AbortSignal.timeout(BILL_CALL_TIMEOUT_MS) });
      return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
    });
    if (file.status !== 200) throw new BillDownloadError('refused', `the bill download answered ${file.status}`);
    if (wechatpayBillHash(file.bytes) !== body.hash_value.toLowerCase()) throw new BillDownloadError('unverified', 'the downloaded bill does not match its SHA1');
    return readBill(() => readWechatpayTradeBill(file.bytes.toString('utf8')));
  }

  private headers(url: string): Record<string, string> {
    const authorization = wechatpayAuthorization({ mchid: this.settings.mchId, serialNo: this.settings.merchantSerialNo, privateKeyPem: this.settings.merchantPrivateKeyPem, method: 'GET', url, body: '' });
    return { authorization, accept: 'application/json', 'wechatpay-serial': this.settings.platformSerialNo };
  }
}

function parse(text: string): Record<string, unknown> {
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    throw new BillDownloadError('malformed', 'WeChat Pay answered something other than JSON');
  }
}
