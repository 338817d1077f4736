import { Module, type DynamicModule } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { RISK_MIGRATIONS } from '@paystream/risk/data-access';
import { AssessPaymentModule } from '@paystream/risk/feature-assess-payment';
import { PlatformModule, type PlatformConfig } from '@paystream/shared/platform';

/** risk: decides approve / review / reject for every payment. */
@Module({})
export class AppModule {
  static forRoot(config: PlatformConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot({ config, migrations: RISK_MIGRATIONS, producesTopics: [TOPICS.riskAssessmentDecided] }), AssessPaymentModule],
    };
  }
}
