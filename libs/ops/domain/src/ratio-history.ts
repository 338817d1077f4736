/** How much history of each ratio the status page keeps and charts. */
export const STATUS_HISTORY_WINDOW_MS = 10 * 60_000;
/**
 * The most points one ratio keeps, whatever the poll interval or the clock does (a fast poll or a
 * clock stepped back would otherwise fill the window without bound): the sparkline is 300 px wide.
 */
export const STATUS_HISTORY_POINTS_MAX = 300;

export interface RatioPoint {
  atMs: number;
  value: number;
}

/** A short in-memory history of named ratios (P_success, P_settlement, P_risk), oldest first. */
export class RatioHistory {
  private readonly series = new Map<string, RatioPoint[]>();

  constructor(
    private readonly windowMs: number = STATUS_HISTORY_WINDOW_MS,
    private readonly pointsMax: number = STATUS_HISTORY_POINTS_MAX,
  ) {}

  /** Adds a point and forgets the ones older than the window, and the oldest beyond pointsMax. */
  record(name: string, atMs: number, value: number): void {
    const points = this.series.get(name) ?? [];
    points.push({ atMs, value });
    const cutoff = atMs - this.windowMs;
    while (points.length > 0 && points[0]!.atMs < cutoff) points.shift();
    if (points.length > this.pointsMax) points.splice(0, points.length - this.pointsMax);
    this.series.set(name, points);
  }

  points(name: string): readonly RatioPoint[] {
    return this.series.get(name) ?? [];
  }

  latest(name: string): number | undefined {
    return this.series.get(name)?.at(-1)?.value;
  }
}
