import { VELOCITY_WINDOW_SECONDS_MAX } from './rule-set';

const DAY_SECONDS = 86_400;

/**
 * How long an assessed payment's attempt is kept, in days. Long on purpose: the window rules look
 * back at most a day, but new-device-large-amount asks whether a user ever paid from a device, so
 * pruning a user's history makes their own device look new. 400 days keeps a user who pays once a
 * year (an annual renewal, Spring Festival shopping, whose date moves by weeks) known on their device.
 */
export const RISK_ATTEMPT_RETENTION_DAYS_DEFAULT = 400;
/** The shortest retention allowed: longer than the longest rule window, so no window count is cut short. */
export const RISK_ATTEMPT_RETENTION_DAYS_MIN = Math.ceil(VELOCITY_WINDOW_SECONDS_MAX / DAY_SECONDS) + 1;
/** The longest retention allowed, in days (ten years). */
export const RISK_ATTEMPT_RETENTION_DAYS_MAX = 3_650;

/** Attempts deleted per statement: each batch is its own short transaction, so no lock is held long. */
export const RISK_ATTEMPT_PRUNE_BATCH_SIZE_DEFAULT = 1_000;
/** The largest batch allowed (a batch's row locks and WAL stay small). */
export const RISK_ATTEMPT_PRUNE_BATCH_SIZE_MAX = 10_000;
/** Batches one pass deletes at most before it yields to the next pass. */
export const RISK_ATTEMPT_PRUNE_BATCHES_PER_PASS_MAX = 100;
