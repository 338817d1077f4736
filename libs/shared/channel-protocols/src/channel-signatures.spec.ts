import fc from 'fast-check';
import { AlipaySdk } from 'alipay-sdk';
import {
  alipaySignContent,
  decryptWechatpayResource,
  encryptWechatpayResource,
  parseWechatpayAuthorization,
  signAlipayParams,
  signAlipayResponse,
  signUnionpay,
  verifyAlipayParams,
  verifyAlipayResponse,
  verifyUnionpay,
  verifyWechatpaySignature,
  wechatpayAuthorization,
  wechatpayRequestMessage,
  wechatpayResponseMessage,
  rsaSha256Sign,
  rsaSha256Verify,
} from './index';
import { generateRsaKeyPair } from './test-keys';

const merchant = generateRsaKeyPair();
const channel = generateRsaKeyPair();
const stranger = generateRsaKeyPair();
const RUNS = { numRuns: 25 }; // each run signs with RSA-2048: keep the suite quick

const paramKey = fc.stringMatching(/^[a-z][a-z_]{0,15}$/).filter((k) => k !== 'sign' && k !== 'sign_type');
const paramValue = fc.string({ minLength: 1, maxLength: 40 });
const params = fc.dictionary(paramKey, paramValue, { minKeys: 1, maxKeys: 8 });

describe('Alipay RSA2', () => {
  it('builds the sign content sorted by key, without empty values or sign', () => {
    expect(alipaySignContent({ b: '2', a: '1', sign: 'x', c: '', d: undefined, sign_type: 'RSA2' })).toBe('a=1&b=2&sign_type=RSA2');
    expect(alipaySignContent({ b: '2', sign_type: 'RSA2' }, { forNotification: true })).toBe('b=2');
  });

  it('verifies what it signed, and nothing tampered or signed by another key', () => {
    fc.assert(
      fc.property(params, paramValue, (p, other) => {
        const signed = signAlipayParams(p, merchant.privateKeyPem);
        const key = Object.keys(p)[0]!;
        const tampered = { ...signed, [key]: signed[key] === other ? `${other}x` : other };
        expect({
          signed: verifyAlipayParams(signed, merchant.publicKeyPem),
          tampered: verifyAlipayParams(tampered, merchant.publicKeyPem),
          otherKey: verifyAlipayParams(signed, stranger.publicKeyPem),
        }).toEqual({ signed: true, tampered: false, otherKey: false });
      }),
      RUNS,
    );
  });

  describe('against the official alipay-sdk', () => {
    const sdk = new AlipaySdk({ appId: '2021000000000001', privateKey: merchant.privateKeyPem, alipayPublicKey: channel.publicKeyPem, gateway: 'http://127.0.0.1:1/gateway.do', keyType: 'PKCS8' });

    it('accepts the requests the SDK signs', () => {
      const url = new URL(
        String(sdk.pageExec('alipay.trade.page.pay', { method: 'GET', bizContent: { out_trade_no: 'o-1', total_amount: '88.88', subject: '茶叶', product_code: 'FAST_INSTANT_TRADE_PAY' } })),
      );
      const p = Object.fromEntries(url.searchParams);
      expect(verifyAlipayParams(p, merchant.publicKeyPem)).toBe(true);
      expect(verifyAlipayParams({ ...p, total_amount: '0.01' }, merchant.publicKeyPem)).toBe(false);
    });

    it('has the SDK accept the notifications we sign as the channel', () => {
      const notification = signAlipayParams(
        { app_id: '2021000000000001', out_trade_no: 'o-1', trade_no: '2026112522001', trade_status: 'TRADE_SUCCESS', total_amount: '88.88', notify_time: '2026-11-25 10:00:00' },
        channel.privateKeyPem,
        { forNotification: true },
      );
      expect(sdk.checkNotifySign(notification)).toBe(true);
      expect(sdk.checkNotifySign({ ...notification, total_amount: '888.80' })).toBe(false);
    });

    it('has the SDK accept the responses we sign, over their exact text', () => {
      const raw = signAlipayResponse('alipay.trade.query', { code: '10000', msg: 'Success', out_trade_no: 'o-1', trade_status: 'TRADE_SUCCESS', total_amount: '88.88' }, channel.privateKeyPem);
      const sign = (JSON.parse(raw) as { sign: string }).sign;
      expect(() => sdk.checkResponseSign(raw, 'alipay_trade_query_response', sign, 't')).not.toThrow();
      expect(verifyAlipayResponse(raw, 'alipay.trade.query', channel.publicKeyPem)).toMatchObject({ ok: true, response: { trade_status: 'TRADE_SUCCESS' } });
      expect(verifyAlipayResponse(raw.replace('88.88', '88.89'), 'alipay.trade.query', channel.publicKeyPem)).toMatchObject({ ok: false });
      expect(verifyAlipayResponse(raw, 'alipay.trade.query', stranger.publicKeyPem)).toMatchObject({ ok: false });
    });
  });
});

describe('WeChat Pay API v3', () => {
  it('signs requests in the documented message format and the header carries what the channel needs', () => {
    expect(wechatpayRequestMessage('post', '/v3/pay/transactions/native', '1700000000', 'n1', '{}')).toBe('POST\n/v3/pay/transactions/native\n1700000000\nn1\n{}\n');
    const header = wechatpayAuthorization({ mchid: '1900000001', serialNo: 'SER1', privateKeyPem: merchant.privateKeyPem, method: 'POST', url: '/v3/pay/transactions/native', body: '{"a":1}' });
    const a = parseWechatpayAuthorization(header)!;
    expect(a).toMatchObject({ mchid: '1900000001', serialNo: 'SER1' });
    expect(rsaSha256Verify(wechatpayRequestMessage('POST', '/v3/pay/transactions/native', a.timestamp, a.nonce, '{"a":1}'), a.signature, merchant.publicKeyPem)).toBe(true);
    expect(parseWechatpayAuthorization('Bearer x')).toBeUndefined();
  });

  it('accepts fresh, correctly signed responses only', () => {
    const now = 1_800_000_000;
    const body = '{"trade_state":"SUCCESS"}';
    const signature = rsaSha256Sign(wechatpayResponseMessage(String(now), 'n', body), channel.privateKeyPem);
    const check = (o: Partial<Parameters<typeof verifyWechatpaySignature>[0]>) =>
      verifyWechatpaySignature({ timestamp: String(now), nonce: 'n', body, signature, publicKeyPem: channel.publicKeyPem, nowS: now, ...o });
    expect(check({})).toEqual({ ok: true });
    expect(check({ nowS: now + 301 })).toEqual({ ok: false, reason: 'stale-timestamp' });
    expect(check({ body: '{"trade_state":"REFUND"}' })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(check({ publicKeyPem: stranger.publicKeyPem })).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('round-trips AEAD_AES_256_GCM resources and refuses tampered ones', () => {
    const key = '0123456789abcdef0123456789abcdef';
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 20 }), (plaintext, aad) => {
        const r = encryptWechatpayResource(plaintext, key, aad);
        const flipped = Buffer.from(r.ciphertext, 'base64');
        flipped[0] = flipped[0]! ^ 1;
        expect({
          plain: decryptWechatpayResource(r, key),
          flipped: decryptWechatpayResource({ ...r, ciphertext: flipped.toString('base64') }, key),
          otherAad: decryptWechatpayResource({ ...r, associated_data: `${aad}x` }, key),
          otherKey: decryptWechatpayResource(r, 'fedcba9876543210fedcba9876543210'),
        }).toEqual({ plain: plaintext, flipped: undefined, otherAad: undefined, otherKey: undefined });
      }),
    );
  });
});

describe('UnionPay ACP 5.1.0 signMethod 01', () => {
  it('verifies what it signed, and nothing tampered or signed by another key', () => {
    fc.assert(
      fc.property(params, paramValue, (p, other) => {
        const signed = signUnionpay(p, merchant.privateKeyPem, '68759663125');
        const key = Object.keys(p)[0]!;
        expect({
          signMethod: signed.signMethod,
          signed: verifyUnionpay(signed, merchant.publicKeyPem),
          tampered: verifyUnionpay({ ...signed, [key]: signed[key] === other ? `${other}x` : other }, merchant.publicKeyPem),
          otherKey: verifyUnionpay(signed, stranger.publicKeyPem),
        }).toEqual({ signMethod: '01', signed: true, tampered: false, otherKey: false });
      }),
      RUNS,
    );
  });
});
