import { channelAnswerFromAlipay, type ChannelAnswer } from '@paystream/channel-gateway/domain';
import { signAlipayParams, verifyAlipayResponse } from '@paystream/shared/channel-protocols';
import { HttpCallError } from '@paystream/shared/platform';
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

  async call(method: string, bizContent: Record<string, string>, timeoutMs: number): Promise<ChannelAnswer> {
    const params = signAlipayParams(
      { app_id: this.settings.appId, method, format: 'JSON', charset: 'utf-8', timestamp: alipayTimestamp(), version: '1.0', biz_content: JSON.stringify(bizContent) },
      this.settings.merchantPrivateKeyPem,
    );
    const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
    let res: Response;
    try {
      res = await fetch(`${this.settings.gatewayUrl}?${query}`, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError') return { kind: 'timeout' };
      return { kind: 'network', detail: new HttpCallError('network', `${this.settings.gatewayUrl}: ${e.cause?.code ?? e.message}`).message };
    }
    let raw: string;
    try {
      raw = await res.text();
    } catch {
      return { kind: 'timeout' };
    }
    if (res.status >= 500) return { kind: 'http', status: res.status, body: { status: 'ERROR', code: 'HTTP_5XX' } };
    const verified = verifyAlipayResponse(raw, method, this.settings.platformPublicKeyPem);
    if (!verified.ok) return { kind: 'http', status: 200, body: { status: 'UNVERIFIED', code: verified.reason } };
    return channelAnswerFromAlipay(method, verified.response);
  }
}
