import { RISK_ATTEMPT_PRUNE_BATCH_SIZE_MAX, RISK_ATTEMPT_RETENTION_DAYS_MAX, RISK_ATTEMPT_RETENTION_DAYS_MIN, VELOCITY_WINDOW_SECONDS_MAX } from '@paystream/risk/domain';
import { loadAttemptRetentionSettings } from './attempt-retention-settings';

describe('risk attempt retention settings', () => {
  it('keeps attempts 400 days and deletes them 1,000 at a time by default', () => {
    expect(loadAttemptRetentionSettings({})).toEqual({ retentionDays: 400, batchSize: 1_000 });
  });

  it('never keeps attempts shorter than the longest rule window', () => {
    expect(RISK_ATTEMPT_RETENTION_DAYS_MIN * 86_400).toBeGreaterThan(VELOCITY_WINDOW_SECONDS_MAX);
    expect(loadAttemptRetentionSettings({ RISK_ATTEMPT_RETENTION_DAYS: String(RISK_ATTEMPT_RETENTION_DAYS_MIN) }).retentionDays).toBe(RISK_ATTEMPT_RETENTION_DAYS_MIN);
  });

  it('takes whole numbers from the environment', () => {
    expect(loadAttemptRetentionSettings({ RISK_ATTEMPT_RETENTION_DAYS: '730', RISK_ATTEMPT_PRUNE_BATCH_SIZE: '50' })).toEqual({ retentionDays: 730, batchSize: 50 });
  });

  it.each([
    ['RISK_ATTEMPT_RETENTION_DAYS', String(RISK_ATTEMPT_RETENTION_DAYS_MIN - 1)],
    ['RISK_ATTEMPT_RETENTION_DAYS', String(RISK_ATTEMPT_RETENTION_DAYS_MAX + 1)],
    ['RISK_ATTEMPT_RETENTION_DAYS', '0'],
    ['RISK_ATTEMPT_RETENTION_DAYS', '400.5'],
    ['RISK_ATTEMPT_RETENTION_DAYS', '1e3'],
    ['RISK_ATTEMPT_RETENTION_DAYS', 'forever'],
    ['RISK_ATTEMPT_PRUNE_BATCH_SIZE', '0'],
    ['RISK_ATTEMPT_PRUNE_BATCH_SIZE', String(RISK_ATTEMPT_PRUNE_BATCH_SIZE_MAX + 1)],
    ['RISK_ATTEMPT_PRUNE_BATCH_SIZE', '-10'],
  ])('refuses to start on %s=%s, naming the setting', (name, bad) => {
    expect(() => loadAttemptRetentionSettings({ [name]: bad })).toThrow(new RegExp(name));
  });
});
