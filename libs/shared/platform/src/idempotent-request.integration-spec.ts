import type { DataSource } from 'typeorm';
import { Actors } from '@paystream/shared/audit-log';
import { inTransaction, openDatabase } from '@paystream/shared/persistence';
import { dropSchemas, testDatabaseUrl, uniqueId } from '@paystream/shared/testing';
import { ApiError } from './api-error';
import { answerOnce, keyedRequestHash, type KeyedRequest } from './idempotent-request';
import { IDEMPOTENT_REQUEST_MIGRATIONS } from './idempotent-request.migration';

/** answerOnce on the real Postgres: one answer per principal and key, replayed; another request refused; a refusal keeps nothing. */
describe('keyed write requests (idempotent_request)', () => {
  const schema = uniqueId('idem_');
  const url = testDatabaseUrl();
  let ds: DataSource;
  let works = 0;
  const alice = Actors.operator('alice');
  const bob = Actors.operator('bob');
  const req = (over: Partial<KeyedRequest> = {}): KeyedRequest => ({ principal: alice, key: 'k-1', route: 'PUT /things/1', request: { kind: 'holiday', reason: 'x' }, ...over });
  const write = (r: KeyedRequest, answer: unknown = { n: ++works }) =>
    inTransaction(ds, async (tx) => {
      await tx.query(`INSERT INTO effect (note) VALUES ($1)`, [`${r.principal.id}/${r.key}`]);
      return answerOnce(tx, r, async () => answer);
    });
  const effects = async () => ((await ds.query(`SELECT count(*)::int AS n FROM effect`)) as { n: number }[])[0]!.n;

  beforeAll(async () => {
    ds = await openDatabase({ url, schema, migrations: IDEMPOTENT_REQUEST_MIGRATIONS, poolSize: 4 });
    await ds.query(`CREATE TABLE effect (id SERIAL PRIMARY KEY, note TEXT NOT NULL)`);
  });
  afterAll(async () => {
    await ds?.destroy();
    await dropSchemas(url, [schema]);
  });

  it('answers the same key and request with the first answer, replayed, whatever the key order of the request', async () => {
    const first = await write(req());
    expect(first).toEqual({ result: { n: 1 }, replayed: false });
    const again = await write(req({ request: { reason: 'x', kind: 'holiday' } }), { n: 'never' });
    expect(again).toEqual({ result: { n: 1 }, replayed: true });
  });

  it('refuses the same key for another request or route (IDEMPOTENCY_KEY_REUSED), and the other request changes nothing', async () => {
    const before = await effects();
    for (const other of [req({ request: { kind: 'workday', reason: 'x' } }), req({ route: 'PUT /things/2' })]) {
      await expect(write(other)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    }
    expect(await effects()).toBe(before);
  });

  it('keeps keys per principal: another principal\'s same key is a request of its own', async () => {
    expect(await write(req({ principal: bob }), { n: 'bob' })).toEqual({ result: { n: 'bob' }, replayed: false });
    expect(await write(req({ principal: bob }))).toEqual({ result: { n: 'bob' }, replayed: true });
    expect(await write(req())).toMatchObject({ result: { n: 1 }, replayed: true });
  });

  it('keeps nothing of a refused write: the key stays unused and the retry is decided afresh', async () => {
    const r = req({ key: 'k-refused' });
    await expect(inTransaction(ds, (tx) => answerOnce(tx, r, async () => { throw new ApiError('VALIDATION_FAILED', 'no'); }))).rejects.toBeInstanceOf(ApiError);
    expect(await ds.query(`SELECT 1 FROM idempotent_request WHERE idempotency_key = 'k-refused'`)).toEqual([]);
    expect(await write(r, { n: 'retried' })).toEqual({ result: { n: 'retried' }, replayed: false });
  });

  it('does the work once when the same key arrives twice at once: the second waits and replays the first answer', async () => {
    const r = req({ key: 'k-race' });
    let ran = 0;
    const once = (answer: string) =>
      inTransaction(ds, (tx) =>
        answerOnce(tx, r, async () => {
          ran++;
          await tx.query(`SELECT pg_sleep(0.2)`); // the other request arrives while this one holds the claim
          return { n: answer };
        }),
      );
    const answers = await Promise.all([once('a'), once('b')]);
    expect(ran).toBe(1);
    expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
    expect(answers[0]!.result).toEqual(answers[1]!.result);
  });

  it('keeps what the codec stores and gives back what it restores (a secret derived again, never kept)', async () => {
    const r = req({ key: 'k-secret' });
    const codec = { store: (v: { id: string; secret: string }) => ({ id: v.id }), restore: (s: unknown) => ({ id: (s as { id: string }).id, secret: `derived-${(s as { id: string }).id}` }) };
    const first = await inTransaction(ds, (tx) => answerOnce(tx, r, async () => ({ id: 'c-1', secret: 'derived-c-1' }), codec));
    expect(JSON.stringify(await ds.query(`SELECT response FROM idempotent_request WHERE idempotency_key = 'k-secret'`))).not.toContain('derived');
    const again = await inTransaction(ds, (tx) => answerOnce(tx, r, async () => ({ id: 'c-2', secret: 'x' }), codec));
    expect(again).toEqual({ result: first.result, replayed: true });
  });

  it('hashes the route and the request, not the order of keys', () => {
    expect(keyedRequestHash('PUT /a', { x: 1, y: [1, { b: 2, a: 1 }] })).toBe(keyedRequestHash('PUT /a', { y: [1, { a: 1, b: 2 }], x: 1 }));
    expect(keyedRequestHash('PUT /a', { x: 1 })).not.toBe(keyedRequestHash('PUT /b', { x: 1 }));
    expect(keyedRequestHash('PUT /a', { x: 1n })).toBe(keyedRequestHash('PUT /a', { x: '1' }));
  });
});
