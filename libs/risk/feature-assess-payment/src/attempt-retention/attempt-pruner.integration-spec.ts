import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { RISK_MIGRATIONS, RiskAttemptRepository } from '@paystream/risk/data-access';
import { RISK_ATTEMPT_PRUNE_BATCHES_PER_PASS_MAX } from '@paystream/risk/domain';
import { createLogger } from '@paystream/shared/observability';
import { openDatabase } from '@paystream/shared/persistence';
import { dropSchemas, testDatabaseUrl, uniqueId } from '@paystream/shared/testing';
import { AttemptPruner } from './attempt-pruner';

const RETENTION_DAYS = 400;
/** Long enough that a pruner waiting on a held row would miss it, short of the test timeout. */
const WAIT_LIMIT_MS = 3_000;

describe('risk attempt retention on the real database', () => {
  const schema = uniqueId('risk_retention_');
  const attempts = new RiskAttemptRepository();
  const logger = createLogger('risk-retention-spec', 'silent');
  let ds: DataSource;

  const pruner = (batchSize: number) => new AttemptPruner(ds, attempts, { retentionDays: RETENTION_DAYS, batchSize }, logger);
  /** count attempts of a user, daysAgo days old (the database clock, as the assessment writes them). */
  const insert = (userId: string, count: number, daysAgo: number, deviceId = 'phone-1') =>
    ds.query(
      `INSERT INTO risk_attempt (payment_id, user_id, merchant_id, device_id, amount_minor, currency, outcome, at)
       SELECT gen_random_uuid(), $1, 'm-1', $3, 1000, 'CNY', 'approved', now() - make_interval(days => $2) FROM generate_series(1, $4)`,
      [userId, daysAgo, deviceId, count],
    );
  const left = async (userId: string) => Number((await ds.query(`SELECT count(*)::int AS n FROM risk_attempt WHERE user_id = $1`, [userId]))[0].n);

  beforeAll(async () => {
    ds = await openDatabase({ url: testDatabaseUrl(), schema, migrations: RISK_MIGRATIONS, poolSize: 4, applicationName: 'paystream-risk-retention-spec' });
  });

  beforeEach(() => ds.query(`TRUNCATE risk_attempt`));

  afterAll(async () => {
    await ds?.destroy();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('deletes attempts past the retention in bounded batches and keeps the rest', async () => {
    await insert('u-old', 7, RETENTION_DAYS + 1);
    await insert('u-kept', 2, RETENTION_DAYS - 1);
    await insert('u-kept', 1, 0);
    expect(await pruner(3).prune()).toEqual({ deleted: 7, batches: 3 }); // 3 + 3 + 1
    expect([await left('u-old'), await left('u-kept')]).toEqual([0, 3]);
    expect(await pruner(3).prune()).toEqual({ deleted: 0, batches: 1 });
  });

  it('keeps a user\'s device known for the new-device rule while its attempt is within the retention', async () => {
    await insert('u-1', 1, RETENTION_DAYS + 2, 'phone-gone');
    await insert('u-1', 1, RETENTION_DAYS - 5, 'phone-kept');
    await pruner(100).prune();
    const paymentId = randomUUID();
    expect(await attempts.userDevice(ds.manager, 'm-1', 'u-1', 'phone-kept', paymentId)).toEqual({ userAttempts: 1, onDevice: 1 });
    expect(await attempts.userDevice(ds.manager, 'm-1', 'u-1', 'phone-gone', paymentId)).toEqual({ userAttempts: 1, onDevice: 0 });
  });

  it(`stops a pass after ${RISK_ATTEMPT_PRUNE_BATCHES_PER_PASS_MAX} batches and goes on in the next`, async () => {
    await insert('u-many', RISK_ATTEMPT_PRUNE_BATCHES_PER_PASS_MAX + 5, RETENTION_DAYS + 1);
    expect(await pruner(1).prune()).toEqual({ deleted: RISK_ATTEMPT_PRUNE_BATCHES_PER_PASS_MAX, batches: RISK_ATTEMPT_PRUNE_BATCHES_PER_PASS_MAX });
    expect(await pruner(10).prune()).toEqual({ deleted: 5, batches: 1 });
    expect(await left('u-many')).toBe(0);
  });

  it('skips a row another transaction holds instead of waiting for it, and deletes it later', async () => {
    await insert('u-held', 3, RETENTION_DAYS + 1);
    const [held] = await ds.query(`SELECT payment_id FROM risk_attempt WHERE user_id = 'u-held' LIMIT 1`);
    const holder = ds.createQueryRunner();
    let timer: NodeJS.Timeout | undefined;
    await holder.connect();
    await holder.startTransaction();
    try {
      // as markFailed does while a payment.failed.v1 is handled
      await holder.query(`UPDATE risk_attempt SET outcome = 'failed' WHERE payment_id = $1`, [held.payment_id]);
      const timeout = new Promise<'waited'>((r) => (timer = setTimeout(() => r('waited'), WAIT_LIMIT_MS)));
      expect(await Promise.race([pruner(10).prune(), timeout])).toEqual({ deleted: 2, batches: 1 });
    } finally {
      clearTimeout(timer);
      await holder.commitTransaction();
      await holder.release();
    }
    expect(await pruner(10).prune()).toEqual({ deleted: 1, batches: 1 });
    expect(await left('u-held')).toBe(0);
  });
});
