import { DataSource } from 'typeorm';
import { testDatabaseUrl } from '@paystream/shared/testing';
import { afterCommit, inTransaction } from './data-source';

describe('side effects after commit', () => {
  let ds: DataSource;
  beforeAll(async () => {
    ds = await new DataSource({ type: 'postgres', url: testDatabaseUrl(), poolSize: 2 }).initialize();
  });
  afterAll(() => ds.destroy());

  it('runs what the work registered once the transaction committed, in order', async () => {
    const seen: string[] = [];
    await inTransaction(ds, async (tx) => {
      afterCommit(tx, () => seen.push('a'));
      await tx.query('SELECT 1');
      afterCommit(tx, () => seen.push('b'));
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['a', 'b']);
  });

  it('never runs them when the transaction rolled back', async () => {
    const seen: string[] = [];
    await expect(
      inTransaction(ds, async (tx) => {
        afterCommit(tx, () => seen.push('a'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(seen).toEqual([]);
  });

  it('runs at once outside a transaction (autocommit)', () => {
    const seen: string[] = [];
    afterCommit(ds.manager, () => seen.push('now'));
    expect(seen).toEqual(['now']);
  });
});
