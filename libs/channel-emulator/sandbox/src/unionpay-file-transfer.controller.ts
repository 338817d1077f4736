import { Body, Controller, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import type { FastifyReply } from 'fastify';
import { beijingDateTime, beijingCompactTime, encodeUnionpayForm, signUnionpay, unionpayBillZip, unionpayFileContent, verifyUnionpay, type UnionpayParams } from '@paystream/shared/channel-protocols';
import type { Logger } from '@paystream/shared/observability';
import { formFields } from '@paystream/shared/platform';
import { billDateSchema } from './bill-date';
import { DailyBills } from './daily-bills';
import type { EmulatorConfig } from './emulator-config';
import { EMULATOR_CONFIG, EMULATOR_LOGGER } from './emulator-tokens';

/** ACP 5.1.0 file transfer: txnType 76, txnSubType 01, bizType 000000, fileType 00 (the merchant's transaction files). */
const FILE_TRANSFER = { txnType: '76', txnSubType: '01', bizType: '000000', accessType: '0', fileType: '00', version: '5.1.0' } as const;
const RESP_MSG: Readonly<Record<string, string>> = { '00': '成功[0000000]', '11': '验证签名失败', '13': '报文交易要素缺失', '31': '商户状态不正确', '98': '文件不存在' };
const SETTLE_DATE_PATTERN = /^(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/;

/**
 * UnionPay's file transfer (ACP 5.1.0, the filedownload host): a signed form POST asking for the files of a settle
 * day (settleDate MMDD, the latest such day not after today, Beijing); the signed answer carries the day's archive
 * as fileContent (deflated, base64) and its fileName, or respCode 98 when there is no file (a day without a
 * transaction, or one to come). A bad signature answers 11, a missing or wrong element 13, another merId 31.
 */
// the emulator stands in for the outside world (channels, bank, identity provider): its own protocols, no Paystream credentials
@Allow('public')
@Controller('unionpay')
export class UnionpayFileTransferController {
  constructor(
    @Inject(DailyBills) private readonly bills: DailyBills,
    @Inject(EMULATOR_CONFIG) private readonly config: EmulatorConfig,
    @Inject(EMULATOR_LOGGER) private readonly logger: Logger,
  ) {}

  @Post('filedownload')
  @HttpCode(200)
  fileTransfer(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const p = formFields(body);
    const keys = this.config.keys.unionpay;
    const base = { txnType: FILE_TRANSFER.txnType, txnSubType: FILE_TRANSFER.txnSubType, bizType: FILE_TRANSFER.bizType, merId: p.merId ?? '', settleDate: p.settleDate ?? '', txnTime: p.txnTime ?? '', fileType: p.fileType ?? '' };
    if (p.certId !== keys.merchantCertId || !verifyUnionpay(p, keys.merchantPublicKeyPem)) {
      this.logger.warn({ txnType: p.txnType, settleDate: p.settleDate }, 'unionpay file transfer with a bad signature refused');
      return this.answer(reply, { ...base, respCode: '11' });
    }
    if (p.merId !== this.config.ids.unionpayMerId) return this.answer(reply, { ...base, respCode: '31' });
    const elements = (Object.keys(FILE_TRANSFER) as (keyof typeof FILE_TRANSFER)[]).every((k) => p[k] === FILE_TRANSFER[k]);
    const date = elements && SETTLE_DATE_PATTERN.test(p.settleDate ?? '') && /^\d{14}$/.test(p.txnTime ?? '') ? settleDay(p.settleDate!) : undefined;
    if (!date) return this.answer(reply, { ...base, respCode: '13' });
    const trades = this.bills.tradesFor('unionpay', date);
    if (trades.length === 0) return this.answer(reply, { ...base, respCode: '98' });
    const { fileName, zip } = unionpayBillZip(date, this.config.ids.unionpayMerId, trades);
    return this.answer(reply, { ...base, respCode: '00', fileName, fileContent: unionpayFileContent(zip) });
  }

  private answer(reply: FastifyReply, fields: UnionpayParams): string {
    void reply.header('content-type', 'text/plain; charset=UTF-8');
    const keys = this.config.keys.unionpay;
    const withMsg = { version: FILE_TRANSFER.version, encoding: 'UTF-8', accessType: FILE_TRANSFER.accessType, respMsg: RESP_MSG[fields.respCode ?? ''] ?? '', ...fields };
    return encodeUnionpayForm(signUnionpay(withMsg, keys.platformPrivateKeyPem, keys.platformCertId));
  }
}

/** The yyyy-MM-dd of settleDate MMDD: this year's if it is not after today (Beijing), else last year's; undefined for no day (0230). */
function settleDay(mmdd: string, now = new Date()): string | undefined {
  const today = beijingDateTime(now).slice(0, 10);
  const year = Number(beijingCompactTime(now).slice(0, 4));
  const candidate = (y: number) => `${y}-${mmdd.slice(0, 2)}-${mmdd.slice(2)}`;
  const pick = candidate(year) <= today ? candidate(year) : candidate(year - 1);
  const valid = billDateSchema.safeParse(pick);
  // 0229 outside a leap year is no day this year; the leap year before it is too far back for a bill
  return valid.success ? valid.data : undefined;
}
