import { Global, Module, type DynamicModule } from '@nestjs/common';
import { z } from 'zod';
import { RISK_CARD_DAILY_CAP_MINOR_DEFAULT, RISK_MERCHANT_DAILY_CAP_MINOR_DEFAULT, type DailyCaps } from '@paystream/risk/domain';
import { parseConfig } from '@paystream/shared/platform';

/** The merchant and card daily caps in force, in minor units of CNY. */
export type CapSettings = Required<DailyCaps>;

export const RISK_CAP_SETTINGS = Symbol('RISK_CAP_SETTINGS');

/** A cap as whole fen in a decimal string: positive, no sign, no fraction, no leading zeros. */
const capMinor = (fallback: bigint) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,17}$/, 'must be a positive whole number of fen')
    .default(fallback.toString())
    .transform((v) => BigInt(v));

/** RISK_MERCHANT_DAILY_CAP_MINOR and RISK_CARD_DAILY_CAP_MINOR, validated (the service refuses to start on a bad value). */
export function loadCapSettings(env: Record<string, string | undefined> = process.env): CapSettings {
  const c = parseConfig(
    'risk',
    z.object({ RISK_MERCHANT_DAILY_CAP_MINOR: capMinor(RISK_MERCHANT_DAILY_CAP_MINOR_DEFAULT), RISK_CARD_DAILY_CAP_MINOR: capMinor(RISK_CARD_DAILY_CAP_MINOR_DEFAULT) }),
    env,
  );
  return { merchantDailyMinor: c.RISK_MERCHANT_DAILY_CAP_MINOR, cardDailyMinor: c.RISK_CARD_DAILY_CAP_MINOR };
}

/** Makes the cap settings available to the risk feature (imported once, by the app module). */
@Global()
@Module({})
export class RiskCapSettingsModule {
  static forRoot(settings: CapSettings): DynamicModule {
    return { module: RiskCapSettingsModule, providers: [{ provide: RISK_CAP_SETTINGS, useValue: settings }], exports: [RISK_CAP_SETTINGS] };
  }
}
