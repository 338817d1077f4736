import { beijingDateTime, readAlipayBill, signAlipayParams, verifyAlipayResponse, type BillRow } from '@paystream/shared/channel-protocols';
import { callText } from '@paystream/shared/platform';
import type { AlipaySettings } from '@paystream/channel-gateway/feature-charge';
import { BILL_CALL_TIMEOUT_MS, BillDownloadError, reach, readBill, type BillDownloader } from './bill-download';

const METHOD = 'alipay.data.dataservice.bill.downloadurl.query';
const SUCCESS_CODE = '10000';

/**
 * Alipay's statement: `alipay.data.dataservice.bill.downloadurl.query` (bill_type trade), RSA2-signed and its
 * answer verified over the exact text, gives bill_download_url; the download is a zip of GBK CSV files.
 */
export class AlipayBillDownloader implements BillDownloader {
  constructor(private readonly settings: AlipaySettings) {}

  async download(date: string): Promise<BillRow[]> {
    const params = signAlipayParams(
      { app_id: this.settings.appId, method: METHOD, format: 'JSON', charset: 'utf-8', timestamp: beijingDateTime(), version: '1.0', biz_content: JSON.stringify({ bill_type: 'trade', bill_date: date }) },
      this.settings.merchantPrivateKeyPem,
    );
    const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
    const answer = await reach(() => callText(`${this.settings.gatewayUrl}?${query}`, { method: 'POST', timeoutMs: BILL_CALL_TIMEOUT_MS }));
    if (answer.status >= 500) throw new BillDownloadError('unreachable', `Alipay answered ${answer.status}`);
    const verified = verifyAlipayResponse(answer.text, METHOD, this.settings.platformPublicKeyPem);
    if (!verified.ok) throw new BillDownloadError('unverified', `Alipay's answer does not verify: ${verified.reason}`);
    const r = verified.response;
    if (r.code !== SUCCESS_CODE || typeof r.bill_download_url !== 'string') {
      throw new BillDownloadError('refused', `Alipay refused the statement of ${date}: ${String(r.code)} ${String(r.sub_code ?? '')} ${String(r.sub_msg ?? r.msg ?? '')}`.trim());
    }
    const url = r.bill_download_url;
    const zip = await reach(async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(BILL_CALL_TIMEOUT_MS) });
      return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
    });
    if (zip.status !== 200) throw new BillDownloadError('unreachable', `the statement download answered ${zip.status}`);
    return readBill(() => readAlipayBill(zip.bytes));
  }
}
