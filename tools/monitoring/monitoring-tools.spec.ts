import { findTool, metricNamesIn } from './monitoring-tools';

describe('findTool', () => {
  it('finds a binary on PATH or in /usr/bin', () => {
    expect(findTool(['definitely-not-installed-xyz', 'sh'])).toMatch(/\/sh$/);
  });

  it('fails, naming the install script, when none of the names is installed', () => {
    expect(() => findTool(['definitely-not-installed-xyz', 'nor-this-one'])).toThrow(
      /definitely-not-installed-xyz \/ nor-this-one not found on PATH or in \/usr\/bin: run `bash scripts\/install-monitoring.sh`/,
    );
  });
});

describe('metricNamesIn', () => {
  it.each([
    ['sum by (channel, outcome) (rate(paystream_channel_charges_total[1m]))', ['paystream_channel_charges_total']],
    // a histogram is registered under its base name
    ['histogram_quantile(0.99, sum by (le) (rate(paystream_payment_outcome_seconds_bucket[5m])))', ['paystream_payment_outcome_seconds']],
    ['paystream_risk_assessment_seconds_sum / paystream_risk_assessment_seconds_count', ['paystream_risk_assessment_seconds']],
    // recording rules are not metrics a service registers
    ['paystream:p_success:ratio10m < 0.8 and paystream:payment_outcomes:increase10m >= 50', []],
    ['max(paystream_settlement_amount_minor{kind=~"gross|fee"}) / 100 + max(paystream_p_settlement)', ['paystream_p_settlement', 'paystream_settlement_amount_minor']],
  ])('%s reads %j', (expr, names) => {
    expect(metricNamesIn(expr)).toEqual(names);
  });
});
