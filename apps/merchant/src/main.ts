import { runService } from '@paystream/shared/platform';
import { AppModule } from './app.module';
import { loadMerchantConfig } from './config';

void runService('merchant', () => loadMerchantConfig(), (config) => AppModule.forRoot(config));
