import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { EmulatorModule } from './emulator.module';
import { loadEmulatorConfig } from './emulator-config';

describe('channel emulator HTTP API', () => {
  let app: NestFastifyApplication;
  const holdMs = 300;
  const charge = (outTradeNo: string, amountMinor: string, extra: Record<string, unknown> = {}) =>
    app.inject({
      method: 'POST',
      url: '/sandbox/charges',
      payload: { outTradeNo, channel: 'alipay', merchantId: 'm-1', amountMinor, currency: 'CNY', subject: 'tea', ...extra },
    });

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(
      EmulatorModule.forRoot(loadEmulatorConfig({ CHANNEL_EMULATOR_HOLD_MS: String(holdMs), LOG_LEVEL: 'silent' })),
      new FastifyAdapter(),
      { logger: false },
    );
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app.close());
  beforeEach(() => app.inject({ method: 'POST', url: '/sandbox/reset' }));

  it('charges once per outTradeNo and answers repeats with the first answer', async () => {
    const first = await charge('T1', '1000');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ status: 'SUCCESS', outTradeNo: 'T1', amountMinor: '1000' });
    const again = await charge('T1', '1000');
    expect(again.json().channelTradeNo).toBe(first.json().channelTradeNo);
    expect((await app.inject({ method: 'GET', url: '/sandbox/stats' })).json()).toMatchObject({
      charges: { requests: 2, succeeded: 1, duplicates: 1 },
      chargedMinor: '1000',
    });
    expect((await app.inject({ method: 'GET', url: '/sandbox/charges/T1' })).json()).toMatchObject({ status: 'SUCCESS' });
  });

  it.each([
    ['an ordinary amount', '1000', 200, 'SUCCESS', { succeeded: 1 }, '1000'],
    ['..51', '2051', 200, 'DECLINED', { declined: 1 }, '0'],
    ['..53', '2053', 503, 'ERROR', { errored: 1 }, '0'],
    ['..54', '2054', 200, 'SUCCESS', { succeeded: 1 }, '2054'],
  ] as const)('answers %s (%s) with %s %s and counts it', async (_label, amount, httpStatus, status, counted, chargedMinor) => {
    const r = await charge(`S${amount}`, amount);
    expect(r.statusCode).toBe(httpStatus);
    expect(r.json().status).toBe(status);
    expect((await app.inject({ method: 'GET', url: '/sandbox/stats' })).json()).toEqual({
      charges: { requests: 1, succeeded: 0, declined: 0, errored: 0, duplicates: 0, ...counted },
      channelsDown: [],
      chargedMinor,
      refunds: { count: 0, refundedMinor: '0' },
      payouts: { count: 0, duplicates: 0, paidMinor: '0' },
    });
  });

  it('answers a query for a trade it never saw with 404 NOT_FOUND', async () => {
    const r = await app.inject({ method: 'GET', url: '/sandbox/charges/NEVER' });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ status: 'NOT_FOUND' });
  });

  it('declines ..51 and charges nothing', async () => {
    expect((await charge('T51', '2051')).json()).toMatchObject({ status: 'DECLINED', code: 'INSUFFICIENT_FUNDS' });
    expect((await app.inject({ method: 'GET', url: '/sandbox/stats' })).json().chargedMinor).toBe('0');
  });

  it('holds ..52 past the caller but records the charge, so a query tells', async () => {
    const started = Date.now();
    const pending = charge('T52', '2052');
    await new Promise((r) => setTimeout(r, 50));
    expect((await app.inject({ method: 'GET', url: '/sandbox/charges/T52' })).json()).toMatchObject({ status: 'SUCCESS' });
    expect((await pending).json()).toMatchObject({ status: 'SUCCESS' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(holdMs - 20);
  });

  it('answers ..53 with a 5xx and records nothing, so a retry may charge', async () => {
    const r = await charge('T53', '2053');
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ status: 'ERROR', code: 'SYSTEM_ERROR' });
    expect((await app.inject({ method: 'GET', url: '/sandbox/charges/T53' })).statusCode).toBe(404);
  });

  it('rejects a malformed charge with the channel error format', async () => {
    for (const bad of [{ amountMinor: '10.5' }, { channel: 'paypal' }, { outTradeNo: '' }]) {
      const r = await charge('TBAD', '100', bad);
      expect(r.statusCode).toBe(400);
      expect(r.json()).toMatchObject({ status: 'ERROR', code: 'INVALID_REQUEST' });
    }
  });

  it('pays out once per payoutId', async () => {
    const pay = () => app.inject({ method: 'POST', url: '/bank/payouts', payload: { payoutId: 'S1', merchantId: 'm-1', amountMinor: '993', currency: 'CNY' } });
    const a = (await pay()).json();
    const b = (await pay()).json();
    expect(a).toMatchObject({ status: 'PAID', payoutId: 'S1' });
    expect(b.payoutRef).toBe(a.payoutRef);
    expect((await app.inject({ method: 'GET', url: '/sandbox/stats' })).json().payouts).toEqual({ count: 1, duplicates: 1, paidMinor: '993' });
  });

  it('rejects a malformed payout with the channel error format', async () => {
    const r = await app.inject({ method: 'POST', url: '/bank/payouts', payload: { payoutId: 'S2', merchantId: 'm-1', amountMinor: '-1', currency: 'CNY' } });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ status: 'ERROR', code: 'INVALID_REQUEST' });
  });

  it('answers health like the other services', async () => {
    for (const url of ['/health', '/health/live']) {
      expect((await app.inject({ method: 'GET', url })).json()).toEqual({ status: 'ok', service: 'channel-emulator' });
    }
  });

  it.each([
    ['CHANNEL_EMULATOR_PORT', 'abc'],
    ['CHANNEL_EMULATOR_PORT', '70000'],
    ['CHANNEL_EMULATOR_HOLD_MS', '-1'],
    ['LOG_LEVEL', 'loud'],
  ])('refuses to start with %s=%s', (name, value) => {
    expect(() => loadEmulatorConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it('defaults to 127.0.0.1:3100 and a 10 s hold', () => {
    expect(loadEmulatorConfig({ CHANNEL_KEYS_DIR: '/nonexistent' })).toEqual({ host: '127.0.0.1', port: 3100, holdMs: 10_000, logLevel: 'info' });
  });

  it('takes a channel down and brings it back: charges answer 5xx and record nothing meanwhile', async () => {
    const outage = (down: unknown) => app.inject({ method: 'POST', url: '/sandbox/channels/wechatpay/outage', payload: { down } });
    expect((await outage(true)).json()).toEqual({ status: 'ok', channelsDown: ['wechatpay'] });
    const down = await charge('TDOWN', '1000', { channel: 'wechatpay' });
    expect(down.statusCode).toBe(503);
    expect((await charge('TUP', '1000', { channel: 'alipay' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/sandbox/charges/TDOWN' })).statusCode).toBe(404);
    expect((await outage(false)).json()).toEqual({ status: 'ok', channelsDown: [] });
    expect((await charge('TDOWN', '1000', { channel: 'wechatpay' })).json()).toMatchObject({ status: 'SUCCESS' });
    expect((await outage('yes')).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/sandbox/channels/paypal/outage', payload: { down: true } })).statusCode).toBe(400);
  });

  it('refunds once per outRefundNo, never more than was charged, and fails refunds of ..57 charges', async () => {
    const refund = (outRefundNo: string, outTradeNo: string, amountMinor: string) =>
      app.inject({ method: 'POST', url: '/sandbox/refunds', payload: { outRefundNo, outTradeNo, amountMinor } });
    await charge('TR1', '1000');
    expect((await refund('R1', 'TR1', '600')).json()).toMatchObject({ status: 'SUCCESS', amountMinor: '600' });
    const again = (await refund('R1', 'TR1', '600')).json();
    expect(again.refundNo).toBe((await refund('R1', 'TR1', '600')).json().refundNo);
    expect((await refund('R2', 'TR1', '401')).json()).toMatchObject({ status: 'FAILED', code: 'REFUND_AMOUNT_EXCEEDED' });
    expect((await refund('R3', 'TR1', '400')).json()).toMatchObject({ status: 'SUCCESS' });
    expect((await refund('R4', 'NOPE', '1')).json()).toMatchObject({ status: 'FAILED', code: 'TRADE_NOT_EXIST' });
    await charge('TR57', '1057');
    expect((await refund('R5', 'TR57', '100')).json()).toMatchObject({ status: 'FAILED', code: 'REFUND_REJECTED' });
    expect((await app.inject({ method: 'GET', url: '/sandbox/stats' })).json().refunds).toEqual({ count: 5, refundedMinor: '1000' });
    expect((await refund('R6', 'TR1', '1.5')).statusCode).toBe(400);
  });
});
