import type { EntityManager } from 'typeorm';

/** Runs a function in a transaction of its own (persistence's inTransaction bound to a data source). */
export type TransactionRunner = <R>(fn: (t: EntityManager) => Promise<R>) => Promise<R>;

/**
 * Runs the tasks each in its own transaction at once. The first `barrierSize` (the pool size, or
 * fewer tasks) wait for each other after BEGIN, so they start contending together rather than
 * trickling in as connections open: what a concurrency test of a limit or a lock needs.
 */
export async function inConcurrentTransactions<T>(tx: TransactionRunner, barrierSize: number, tasks: ((t: EntityManager) => Promise<T>)[]): Promise<T[]> {
  let opened = 0;
  let allOpen!: () => void;
  const gate = new Promise<void>((resolve) => (allOpen = resolve));
  const barrier = Math.min(barrierSize, tasks.length);
  return Promise.all(
    tasks.map((task) =>
      tx(async (t) => {
        await t.query('SELECT 1');
        if (++opened === barrier) allOpen();
        await gate;
        return task(t);
      }),
    ),
  );
}
