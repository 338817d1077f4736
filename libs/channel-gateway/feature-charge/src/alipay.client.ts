import { channelAnswerFromAlipay, type ChannelAnswer } from '@paystream/channel-gateway/domain';
import { signAlipayParams, verifyAlipayResponse } from '@paystream/shared/channel-protocols';
import { callText } from '@paystream/shared/platform';
import { channelCall } from './channel-call';
import type { AlipaySettings } from './channel-settings';

/** Alipay's timestamp: Beijing time, `yyyy-MM-dd HH:mm:ss`. */
export function alipayTimestamp(at = new Date()): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Alipay Open API v2: RSA2-signed requests to gateway.do; an answer counts only once its signature
 * verifies over the exact response text (an unverifiable answer is no answer: the outcome stays
 * unknown and is queried).
 */
export class AlipayClient {
  constructor(private readonly settings: AlipaySettings) {}

  call(method: string, bizContent: Record<string, string>, timeoutMs: number): Promise<ChannelAnswer> {
    const params = signAlipayParams(
      { app_id: this.settings.appId, method, format: 'JSON', charset: 'utf-8', timestamp: alipayTimestamp(), version: '1.0', biz_content: JSON.stringify(bizContent) },
      this.settings.merchantPrivateKeyPem,
    );
    const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return channelCall(async () => {
      const { status, text } = await callText(`${this.settings.gatewayUrl}?${query}`, { method: 'POST', timeoutMs });
      if (status >= 500) return { kind: 'http', status, body: { status: 'ERROR', code: 'HTTP_5XX' } };
      // the signature covers the exact text: verify before reading anything out of it
      const verified = verifyAlipayResponse(text, method, this.settings.platformPublicKeyPem);
      if (!verified.ok) return { kind: 'http', status: 200, body: { status: 'UNVERIFIED', code: verified.reason } };
      return channelAnswerFromAlipay(method, verified.response);
    });
  }
}
