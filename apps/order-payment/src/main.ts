import { loadPlatformConfig, runService } from '@paystream/shared/platform';
import { AppModule } from './app.module';

void runService('order-payment', () => loadPlatformConfig('order-payment'), (config) => AppModule.forRoot(config));
