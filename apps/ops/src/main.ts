import 'reflect-metadata';
import { OpsModule } from '@paystream/ops/feature-monitor';
import { runService } from '@paystream/shared/platform';
import { loadOpsAppConfig } from './config';

// On the platform like every service: its routes behind the same guard and rate limits, the tokens
// verified against its own copy of the credentials (its database, fed by the credential.* events).
void runService('ops', loadOpsAppConfig, (config) => OpsModule.forRoot(config));
