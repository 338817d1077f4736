import { Global, Module, type DynamicModule } from '@nestjs/common';
import { z } from 'zod';
import { loadIdentityKeys, type IdentityKeyRing, type IdentityKeySource } from '@paystream/risk/data-access';
import { ConfigError, parseConfig } from '@paystream/shared/platform';

/** How long risk waits for the verification provider before storing the identity as pending. */
export const IDENTITY_PROVIDER_TIMEOUT_MS = 3_000;

/** What the identity API needs: its encryption keys and where the verification provider is. */
export interface IdentitySettings {
  keys: IdentityKeyRing;
  keySource: IdentityKeySource;
  providerUrl: string;
  providerTimeoutMs: number;
}

/** Nest token of the IdentitySettings. */
export const RISK_IDENTITY_SETTINGS = Symbol('RISK_IDENTITY_SETTINGS');

/**
 * risk's identity configuration: CHANNEL_EMULATOR_URL (the provider, as the other services reach
 * the emulator), RISK_IDENTITY_PROVIDER_TIMEOUT_MS, and the keys (see loadIdentityKeys:
 * `risk-identity.keys` in CHANNEL_KEYS_DIR, else RISK_IDENTITY_KEYS, else derived from the card token
 * secret). Throws ConfigError, so the service refuses to start saying why.
 */
export function loadIdentitySettings(env: Record<string, string | undefined> = process.env): IdentitySettings {
  const c = parseConfig(
    'risk',
    z.object({
      CHANNEL_EMULATOR_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:3100'),
      CHANNEL_KEYS_DIR: z.string().min(1).default('.run/keys'),
      RISK_IDENTITY_KEYS: z.string().optional(),
      RISK_IDENTITY_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(IDENTITY_PROVIDER_TIMEOUT_MS),
    }),
    env,
  );
  let loaded: ReturnType<typeof loadIdentityKeys>;
  try {
    loaded = loadIdentityKeys(c.CHANNEL_KEYS_DIR, c.RISK_IDENTITY_KEYS);
  } catch (error) {
    throw new ConfigError('risk', [`identity keys: ${(error as Error).message}`]);
  }
  return { keys: loaded.ring, keySource: loaded.source, providerUrl: c.CHANNEL_EMULATOR_URL.replace(/\/+$/, ''), providerTimeoutMs: c.RISK_IDENTITY_PROVIDER_TIMEOUT_MS };
}

/** Makes the identity settings available to the risk feature modules (imported once, by the app module). */
@Global()
@Module({})
export class RiskIdentitySettingsModule {
  static forRoot(settings: IdentitySettings): DynamicModule {
    return { module: RiskIdentitySettingsModule, providers: [{ provide: RISK_IDENTITY_SETTINGS, useValue: settings }], exports: [RISK_IDENTITY_SETTINGS] };
  }
}
