import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOPICS, type ChannelChargeRequested, type PaymentRequested } from '@paystream/contracts';
import { RawProducer, TEST_KAFKA_BROKERS, testKafkaEnv, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { demoIdentity } from '../load/demo-identities';
import { REPO_ROOT, ServiceStack } from '../e2e/service-stack';
import { audit, type AuditReport } from './audit';
import type { AuditTarget } from './audit-target';

/** How long the stack may take to drain (lag zero, outboxes published, settlements paid) after the last action. */
const DRAIN_TIMEOUT_MS = 60_000;

/**
 * Proof the auditor can fail: a real stack pays a few orders (one declined, one by POST /payments),
 * refunds one after its settlement (a clawback), and pays a real-time merchant out; once drained the
 * auditor says OK. Then four real inconsistencies are planted (no snapshot is edited) and one run of
 * the compiled CLI reports each with its ids and exits 1: an order charged a second time at the
 * channel, an order that never gets an outcome, an unbalanced ledger posting, and a settlement paid
 * twice at the bank.
 */
describe('the money auditor on a real stack', () => {
  const prefix = uniqueTopicPrefix('e2a');
  const schema = uniqueId('e2a_');
  const stack = new ServiceStack(prefix, schema);
  const t = (topic: string) => `${prefix}${topic}`;
  const merchantId = uniqueId('m-audit-');
  let upstream: RawProducer;
  let collector: TopicCollector;
  let target: AuditTarget;

  const outcome = (orderId: string) =>
    waitFor(() => collector.messages.find((m) => m.key === orderId && (m.topic === t(TOPICS.paymentSucceeded) || m.topic === t(TOPICS.paymentFailed))), 30_000, `the outcome of ${orderId}`);
  const pay = async (orderId: string, amountMinor: string) => {
    const request: PaymentRequested = { orderId, merchantId, userId: 'shopper-1', amountMinor, currency: 'CNY', channel: 'alipay', subject: 'auditor e2e', requestedAt: new Date().toISOString() };
    await upstream.sendEvent(t(TOPICS.paymentRequested), orderId, request);
    return outcome(orderId);
  };

  const auditorLogin = (): Pick<AuditTarget['kafka'], 'caFile' | 'sasl'> => {
    const env = testKafkaEnv('auditor');
    return env.KAFKA_SASL_USERNAME ? { caFile: env.KAFKA_SSL_CA_FILE!, sasl: { username: env.KAFKA_SASL_USERNAME, passwordFile: env.KAFKA_SASL_PASSWORD_FILE! } } : {};
  };

  beforeAll(async () => {
    await stack.start();
    expect((await stack.json<{ level: string }>('risk', '/identities', { json: demoIdentity('shopper-1', 1) })).body.level).toBe('full');
    await stack.onboardMerchant(merchantId);
    upstream = await new RawProducer().start();
    collector = await new TopicCollector([TOPICS.paymentSucceeded, TOPICS.paymentFailed, TOPICS.paymentRefunded, TOPICS.settlementCompleted].map(t)).start();
    target = {
      databases: { 'order-payment': stack.databaseUrl('order-payment'), 'channel-gateway': stack.databaseUrl('channel-gateway'), risk: stack.databaseUrl('risk'), settlement: stack.databaseUrl('settlement') },
      schema,
      // as the auditor principal: it reads the orders, outcomes and DLQs, and writes nothing
      kafka: { brokers: TEST_KAFKA_BROKERS, topicPrefix: prefix, ...auditorLogin() },
      emulatorUrl: stack.url('channel-emulator'),
      deliberateDeadLetterIds: [],
    };
  }, 120_000);

  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await stack.dispose();
  }, 60_000);

  it('says OK on a drained stack, then reports each planted violation with its ids', async () => {
    const o1 = `${merchantId}-o1`;
    const paid = (await pay(o1, '10000')).value as { paymentId: string };
    expect((await pay(`${merchantId}-o2`, '6000')).topic).toBe(t(TOPICS.paymentSucceeded));
    expect((await pay(`${merchantId}-o3`, '2051')).topic).toBe(t(TOPICS.paymentFailed)); // ..51: declined
    const api = await stack.json('order-payment', '/payments', {
      json: { orderId: `${merchantId}-o4`, merchantId, userId: 'shopper-1', amountMinor: '3000', currency: 'CNY', subject: 'auditor e2e api' },
      headers: { 'idempotency-key': `${merchantId}-k4` },
    });
    expect(api.status).toBe(201);
    await outcome(`${merchantId}-o4`);
    // a real-time merchant is paid out per payment; o-1's refund comes after its payout: clawed back
    await waitFor(() => (collector.on(t(TOPICS.settlementCompleted), (m) => m.key === merchantId).length >= 3 ? true : undefined), 30_000, 'three payouts');
    const refund = await stack.json('order-payment', `/payments/${paid.paymentId}/refunds`, { json: { amountMinor: '4000', reason: 'customer return' }, headers: { 'idempotency-key': `${merchantId}-r1` } });
    expect(refund.status).toBe(202);
    await waitFor(() => collector.on(t(TOPICS.paymentRefunded), (m) => m.key === o1)[0], 30_000, 'the refund');

    let last: AuditReport | undefined;
    const ok = await waitFor(
      async () => {
        last = await audit(target);
        return last.ok ? last : undefined;
      },
      DRAIN_TIMEOUT_MS,
      'the drained stack to audit OK',
      1_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${last?.lines.join('\n')}`);
    });
    expect(ok.lines).toEqual([`auditor: OK orders=4 succeeded=3 failed=1 captured=CNY 190.00 refunds=1 payouts=3 ledger=balanced`]);

    // (b) a lost outcome: an order requested while order-payment is down never gets one
    await stack.kill('order-payment');
    const lost = `${merchantId}-lost`;
    await upstream.sendEvent(t(TOPICS.paymentRequested), lost, { orderId: lost, merchantId, userId: 'shopper-1', amountMinor: '1500', currency: 'CNY', channel: 'alipay', subject: 'lost', requestedAt: new Date().toISOString() });

    // (a) a double charge: o-1 charged again at the channel under a second payment (as a bug upstream of the gateway would)
    const second = randomUUID();
    const charge: ChannelChargeRequested = { paymentId: second, orderId: o1, merchantId, amountMinor: '10000', currency: 'CNY', channel: 'alipay', subject: 'charged again' };
    await upstream.sendEvent(t(TOPICS.channelChargeRequested), second, charge, { source: '/paystream/order-payment' });
    const secondNo = second.replace(/-/g, '');
    await waitFor(async () => ((await stack.json<{ state: string }>('channel-emulator', `/sandbox/trades/${secondNo}`)).body.state === 'SUCCESS' ? true : undefined), 30_000, 'the second charge');

    // (c) an unbalanced posting, past the ledger's triggers (as the superuser, replication role)
    const planted = randomUUID();
    await stack.query(
      'settlement',
      `SET session_replication_role = replica;
       INSERT INTO ledger_transaction (id, kind, reference) VALUES ('${planted}', 'manual', 'auditor-e2e-plant');
       INSERT INTO ledger_entry (transaction_id, account_id, amount_minor, currency) VALUES ('${planted}', 'platform_fee_revenue', -1, 'CNY');
       RESET session_replication_role;`,
    );

    // (d) a double payout: a completed settlement paid again at the bank under a new payout id
    const [settled] = await stack.query<{ id: string; net_minor: string; payout_account_no: string }>(
      'settlement',
      `SELECT id::text, net_minor::text, payout_account_no FROM settlement_batch WHERE merchant_id = $1 AND status = 'COMPLETED' ORDER BY created_at LIMIT 1`,
      [merchantId],
    );
    const again = `${settled!.id}-again`;
    const payout = await stack.json('channel-emulator', '/bank/payouts', { json: { payoutId: again, merchantId, accountNo: settled!.payout_account_no, amountMinor: settled!.net_minor, currency: 'CNY' } });
    expect(payout.body).toMatchObject({ status: 'PAID' });

    const file = join(REPO_ROOT, '.run', 'e2e', schema, 'audit-target.json');
    writeFileSync(file, JSON.stringify(target));
    const run = spawnSync(process.execPath, [join(REPO_ROOT, 'tools', 'run-dist.js'), 'dist/tools/auditor/audit-cli.js', '--target', file], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
    writeFileSync(`${file}.out`, `${run.stdout}${run.stderr}`); // beside the services' logs, for a failed run
    const lines = run.stdout.trim().split('\n');
    const reported = (code: string, ...ids: string[]) => lines.find((l) => l.startsWith(`auditor: VIOLATION ${code} `) && ids.every((id) => l.split(' ids=')[1]!.split(',').includes(id)));
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 1, stderr: '' });
    expect(reported('DOUBLE_CHARGE', o1, secondNo)).toBeDefined();
    expect(reported('ORDER_NO_OUTCOME', lost)).toBeDefined();
    expect(reported('LEDGER_TRANSACTION_UNBALANCED', planted)).toBeDefined();
    expect(reported('DOUBLE_PAYOUT', again, settled!.id)).toBeDefined();
    expect(lines.at(-1)).toMatch(/^auditor: \d+ violation\(s\) orders=5 .* ledger=UNBALANCED$/);
  }, 240_000);
});
