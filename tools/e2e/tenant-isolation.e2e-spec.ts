import { randomUUID } from 'node:crypto';
import type { ClientCredential } from '@paystream/shared/auth';
import { uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { demoIdentity } from '../load/demo-identities';
import { ServiceStack, type JsonBody, type StackService } from './service-stack';

/** A UnionPay test card the emulator charges (Luhn-valid, BIN 62). */
const CARD = { number: '6225880137453008', expiry: '1229', cvv: '123' };
/** A well-formed card token no one was ever issued. */
const NEVER_ISSUED_TOKEN = `tok_${'0'.repeat(32)}`;

interface PaymentView extends JsonBody {
  paymentId: string;
  status: string;
  failure?: { code: string } | null;
}

/**
 * Two merchants on one stack, as separate processes on the real broker and databases: each sees and
 * acts on its own payments, refunds, cards and settlements only; the other's answers exactly like a
 * resource that does not exist (no oracle), and trying changes nothing. Idempotency keys, order ids
 * and card tokens are the merchant's own.
 */
describe('tenant isolation (real processes, Kafka, Postgres)', () => {
  const stack = new ServiceStack(uniqueTopicPrefix('tenant'), uniqueId('tenant_'));
  const A = uniqueId('m-tenant-a-');
  const B = uniqueId('m-tenant-b-');
  let a: ClientCredential;
  let b: ClientCredential;
  /** A's captured payment, its order id and the settlement that paid it. */
  let paidA: { paymentId: string; orderId: string; settlementId: string };

  const pay = (as: ClientCredential, key: string, body: Record<string, unknown>) =>
    stack.json<PaymentView>('order-payment', '/payments', { as, headers: { 'idempotency-key': key }, json: { userId: 'tenant-shopper', currency: 'CNY', subject: 'tenant e2e', ...body } });
  const settled = (as: ClientCredential, paymentId: string) =>
    waitFor(
      async () => {
        const view = await stack.json<PaymentView>('order-payment', `/payments/${paymentId}`, { as });
        return ['SUCCEEDED', 'FAILED'].includes(view.body.status) ? view.body : undefined;
      },
      30_000,
      `the outcome of ${paymentId}`,
    );
  /** An answer as the test compares it: status, code, and the message with the asked-for id blanked out. */
  const answer = async (service: StackService, path: string, as: ClientCredential, id: string, init: { method?: string; json?: unknown } = {}) => {
    const res = await stack.json(service, path, { as, headers: { 'idempotency-key': `tenant-${randomUUID()}` }, ...init });
    return { status: res.status, code: res.body.error?.code, message: String((res.body.error as { message?: string } | undefined)?.message ?? '').replaceAll(id, '<id>') };
  };

  beforeAll(async () => {
    await stack.start();
    await stack.onboardMerchant(A);
    await stack.onboardMerchant(B);
    a = await stack.merchantKey(A);
    b = await stack.merchantKey(B);
    for (const [as, i] of [[a, 41], [b, 42]] as const) {
      const identity = await stack.json('risk', '/identities', { as, json: demoIdentity('tenant-shopper', i) });
      expect(identity.status).toBeLessThan(300);
    }
    const orderId = uniqueId('order-a-');
    const created = await pay(a, `pay-${orderId}`, { orderId, merchantId: A, amountMinor: '1000' });
    expect(created.status).toBe(201);
    expect((await settled(a, created.body.paymentId)).status).toBe('SUCCEEDED');
    const settlementId = await waitFor(
      async () => {
        const list = await stack.json<{ settlements?: { settlementId: string; paymentCount?: number }[] }>('settlement', '/settlements', { as: a });
        return list.body.settlements?.[0]?.settlementId;
      },
      30_000,
      `A's settlement`,
    );
    paidA = { paymentId: created.body.paymentId, orderId, settlementId };
  }, 180_000);

  afterAll(async () => {
    await stack.dispose();
  }, 60_000);

  it('lets two merchants use the same Idempotency-Key and the same order id without colliding', async () => {
    const orderId = uniqueId('order-shared-');
    const key = `shared-key-${orderId}`;
    const first = await pay(a, key, { orderId, merchantId: A, amountMinor: '1100' });
    const second = await pay(b, key, { orderId, merchantId: B, amountMinor: '2300' });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.paymentId).not.toBe(first.body.paymentId);
    expect(second.body).toMatchObject({ merchantId: B, amountMinor: '2300' });
    // each merchant's order id finds its own payment
    expect((await stack.json<PaymentView>('order-payment', `/payments?orderId=${orderId}`, { as: a })).body.paymentId).toBe(first.body.paymentId);
    expect((await stack.json<PaymentView>('order-payment', `/payments?orderId=${orderId}`, { as: b })).body.paymentId).toBe(second.body.paymentId);
    // and the key replays each merchant's own answer
    const replay = await pay(b, key, { orderId, merchantId: B, amountMinor: '2300' });
    expect(replay).toMatchObject({ status: 200, body: { paymentId: second.body.paymentId } });
  });

  it("answers another merchant's payment, refunds and settlement exactly as missing ones, and changes nothing", async () => {
    const missingPayment = randomUUID();
    const missingSettlement = randomUUID();
    const refundsBefore = await stack.query('order-payment', `SELECT count(*)::int AS n FROM refund`);
    const pairs: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
      ['GET /payments/:id', () => answer('order-payment', `/payments/${paidA.paymentId}`, b, paidA.paymentId), () => answer('order-payment', `/payments/${missingPayment}`, b, missingPayment)],
      ['GET /payments?orderId=', () => answer('order-payment', `/payments?orderId=${paidA.orderId}`, b, paidA.orderId), () => answer('order-payment', `/payments?orderId=never-${paidA.orderId}`, b, `never-${paidA.orderId}`)],
      ['GET /payments/:id/refunds', () => answer('order-payment', `/payments/${paidA.paymentId}/refunds`, b, paidA.paymentId), () => answer('order-payment', `/payments/${missingPayment}/refunds`, b, missingPayment)],
      [
        'POST /payments/:id/refunds',
        () => answer('order-payment', `/payments/${paidA.paymentId}/refunds`, b, paidA.paymentId, { json: { amountMinor: '100' } }),
        () => answer('order-payment', `/payments/${missingPayment}/refunds`, b, missingPayment, { json: { amountMinor: '100' } }),
      ],
      ['GET /settlements/:id', () => answer('settlement', `/settlements/${paidA.settlementId}`, b, paidA.settlementId), () => answer('settlement', `/settlements/${missingSettlement}`, b, missingSettlement)],
    ];
    for (const [route, theirs, missing] of pairs) {
      const [got, want] = [await theirs(), await missing()];
      expect({ route, ...(got as object) }).toEqual({ route, ...(want as object) });
      expect((got as { status: number }).status).toBe(404);
    }
    expect(await stack.query('order-payment', `SELECT count(*)::int AS n FROM refund`)).toEqual(refundsBefore);
    // the lists hold the caller's own only
    const listed = await stack.json<{ settlements: { settlementId: string; merchantId: string }[] }>('settlement', '/settlements', { as: b });
    expect(listed.status).toBe(200);
    expect(listed.body.settlements.map((s) => s.merchantId).filter((m) => m !== B)).toEqual([]);
    // while the owner still sees each of them
    expect((await stack.json<PaymentView>('order-payment', `/payments/${paidA.paymentId}`, { as: a })).body.status).toBe('SUCCEEDED');
    expect((await stack.json('settlement', `/settlements/${paidA.settlementId}`, { as: a })).status).toBe(200);
  });

  it("refuses a card token issued to another merchant exactly as one never issued, and shows a merchant no shopper IP, device or full token", async () => {
    const card = await stack.json<{ cardToken: string }>('channel-gateway', '/cards', { as: a, json: CARD });
    expect(card.status).toBe(201);
    const { cardToken } = card.body;
    const byCard = async (as: ClientCredential, merchantId: string, token: string) => {
      const orderId = uniqueId('order-card-');
      const created = await pay(as, `card-${orderId}`, { orderId, merchantId, amountMinor: '2200', channel: 'unionpay', cardToken: token, deviceId: 'tenant-phone-1', ipAddress: '203.0.113.77' });
      expect(created.status).toBeLessThan(300);
      return created.body.status === 'FAILED' ? created.body : settled(as, created.body.paymentId);
    };
    const own = await byCard(a, A, cardToken);
    expect(own.status).toBe('SUCCEEDED');
    const view = JSON.stringify(await stack.json('order-payment', `/payments/${own.paymentId}`, { as: a }).then((r) => r.body));
    for (const secret of [cardToken, '203.0.113.77', 'tenant-phone-1']) expect(view).not.toContain(secret);

    const theirs = await byCard(b, B, cardToken);
    const never = await byCard(b, B, NEVER_ISSUED_TOKEN);
    expect(theirs.status).toBe('FAILED');
    expect(theirs.failure?.code).toBeDefined();
    expect(theirs.failure?.code).toBe(never.failure?.code);
  });
});
