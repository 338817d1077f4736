import { Module, type DynamicModule } from '@nestjs/common';
import type { Channel } from '@paystream/contracts';
import { ReconciliationSourceRepository } from '@paystream/channel-gateway/data-access';
import type { ChannelSettings } from '@paystream/channel-gateway/feature-charge';
import { AlipayBillDownloader } from './alipay-bill.downloader';
import type { BillDownloader } from './bill-download';
import { BILL_DOWNLOADERS, ReconciliationSourceController } from './reconciliation-source.controller';
import { UnionpayBillDownloader } from './unionpay-bill.downloader';
import { WechatpayBillDownloader } from './wechatpay-bill.downloader';

/** The channels' daily bills and our records of a day, for reconciliation. */
@Module({})
export class BillsModule {
  static forRoot(settings: Pick<ChannelSettings, 'alipay' | 'wechatpay' | 'unionpay'>): DynamicModule {
    const downloaders: Record<Channel, BillDownloader> = {
      alipay: new AlipayBillDownloader(settings.alipay),
      wechatpay: new WechatpayBillDownloader(settings.wechatpay),
      unionpay: new UnionpayBillDownloader(settings.unionpay),
    };
    return {
      module: BillsModule,
      controllers: [ReconciliationSourceController],
      providers: [
        { provide: ReconciliationSourceRepository, useValue: new ReconciliationSourceRepository() },
        { provide: BILL_DOWNLOADERS, useValue: downloaders },
      ],
    };
  }
}
