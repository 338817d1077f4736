/**
 * How many restarts kafkajs may make of a crashed consumer within a sliding window: past that the
 * consumer gives up (the process exits and its supervisor starts a fresh one) instead of crashing
 * and restarting in a loop while /health says it is consuming.
 */
export class RestartBudget {
  private readonly crashesAtMs: number[] = [];

  constructor(
    private readonly restartsMax: number,
    private readonly windowMs: number,
  ) {}

  /** Records a crash at nowMs; true while the crashes in the window stay within restartsMax. */
  allowRestart(nowMs: number): boolean {
    this.crashesAtMs.push(nowMs);
    while (this.crashesAtMs.length > 0 && this.crashesAtMs[0]! <= nowMs - this.windowMs) this.crashesAtMs.shift();
    return this.crashesAtMs.length <= this.restartsMax;
  }
}
