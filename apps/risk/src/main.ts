import { loadPlatformConfig, runService } from '@paystream/shared/platform';
import { AppModule } from './app.module';

void runService('risk', () => loadPlatformConfig('risk'), (config) => AppModule.forRoot(config));
