import { runService } from '@paystream/shared/platform';
import { AppModule } from './app.module';
import { loadGatewayConfig } from './config';

void runService('channel-gateway', () => loadGatewayConfig(), (config) => AppModule.forRoot(config));
