import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { inTransaction } from '@paystream/shared/persistence';
import { Platform, PollingWorker } from '@paystream/shared/platform';
import { MerchantRegistry } from './merchant-registry';
import { REGISTRY_SETTINGS, type RegistrySettings } from './registry-settings';

/**
 * Makes approved payout account changes effective once their cooling-off has passed, every
 * applyIntervalMs. Each run claims due changes with SKIP LOCKED, so every replica may run it.
 */
@Injectable()
export class PayoutAccountChangeJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly worker: PollingWorker;

  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(MerchantRegistry) private readonly registry: MerchantRegistry,
    @Inject(REGISTRY_SETTINGS) settings: RegistrySettings,
  ) {
    this.worker = new PollingWorker('payout-account-change', settings.applyIntervalMs, () => this.runOnce(), platform.logger);
  }

  /** One run: applies what is due now; how many changes it settled. */
  async runOnce(): Promise<number> {
    const n = await inTransaction(this.platform.ds, (tx) => this.registry.applyDueChanges(tx));
    if (n > 0) this.platform.logger.info({ changes: n }, 'payout account changes applied');
    return n;
  }

  onApplicationBootstrap(): void {
    this.worker.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker.stop();
  }
}
