import { runService } from '@paystream/shared/platform';
import { AppModule } from './app.module';
import { loadSettlementConfig } from './config';

void runService('settlement', () => loadSettlementConfig(), (config) => AppModule.forRoot(config));
