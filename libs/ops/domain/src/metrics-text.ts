/** One sample of the Prometheus text exposition format. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/g;

/** Parses the samples of a /metrics answer (comments skipped, label values unescaped, lines that are no sample ignored). */
export function parseMetricsText(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') continue;
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** The value of the first sample of a metric, or undefined when the metric is absent. */
export function firstValue(samples: readonly MetricSample[], name: string): number | undefined {
  return samples.find((s) => s.name === name)?.value;
}

/** Breaker states as paystream_channel_breaker_state encodes them. */
export const BREAKER_STATES = ['closed', 'half-open', 'open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

/** Breaker state per channel and operation from paystream_channel_breaker_state samples. */
export function breakerStates(samples: readonly MetricSample[]): { channel: string; operation: string; state: BreakerState }[] {
  return samples
    .filter((s) => s.name === 'paystream_channel_breaker_state')
    .map((s) => ({ channel: s.labels.channel ?? '', operation: s.labels.operation ?? '', state: BREAKER_STATES[s.value] ?? 'open' }))
    .sort((a, b) => a.channel.localeCompare(b.channel) || a.operation.localeCompare(b.operation));
}
