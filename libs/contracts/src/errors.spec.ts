import { storedFailure } from './errors';
import { describeIssues } from './validation';

describe('failures read back from storage', () => {
  it('take retryable from the catalogue, not from whoever stored them', () => {
    expect(storedFailure('CHANNEL_UNAVAILABLE', 'down')).toEqual({ code: 'CHANNEL_UNAVAILABLE', message: 'down', retryable: true });
    expect(storedFailure('RISK_SINGLE_LIMIT_EXCEEDED', null)).toEqual({ code: 'RISK_SINGLE_LIMIT_EXCEEDED', message: '', retryable: false });
  });

  it('refuse a code the catalogue does not know', () => {
    expect(() => storedFailure('NOT_A_CODE', 'x')).toThrow(/unknown failure code NOT_A_CODE/);
  });
});

describe('schema issues in one line', () => {
  it('names every failing field, and the root by the label given', () => {
    const issues = [
      { path: ['amountMinor'], message: 'bad' },
      { path: ['reason', 'code'], message: 'unknown' },
      { path: [], message: 'not an object' },
    ];
    expect(describeIssues(issues)).toBe('amountMinor: bad; reason.code: unknown; (root): not an object');
    expect(describeIssues(issues.slice(2), '(body)')).toBe('(body): not an object');
  });
});
