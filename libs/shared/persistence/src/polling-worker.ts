import type { Logger } from '@paystream/shared/observability';

/**
 * Runs `tick` every intervalMs until stopped, one tick at a time; a failing tick is logged and the
 * loop goes on (work is claimed with row locks, so a failed tick is simply retried next time).
 */
export class PollingWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly tick: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  /** Stops scheduling and waits for a tick in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn({ err: error, worker: this.name }, 'worker tick failed; retrying next tick'))
        .finally(() => this.schedule());
    }, this.intervalMs);
  }
}
