import { runService } from '@paystream/shared/platform';
import { AppModule } from './app.module';
import { loadRiskConfig } from './config';

void runService('risk', () => loadRiskConfig(), (config) => AppModule.forRoot(config));
