import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { checkIdentity, levelFromElements, type IdentityErrorCode, type IdentityInput, type IdentityVerifier } from '@paystream/risk/domain';
import { IdentityRepository, ResidentIdTakenError, type StoredIdentity } from '@paystream/risk/data-access';
import { inTransaction } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { RISK_IDENTITY_SETTINGS, type IdentitySettings } from './identity-settings';

/** Nest token of the IdentityVerifier (the provider adapter). */
export const IDENTITY_VERIFIER = Symbol('IDENTITY_VERIFIER');

export type RegisterIdentityResult =
  | { kind: 'saved'; identity: StoredIdentity; created: boolean }
  | { kind: 'invalid'; code: IdentityErrorCode; detail: string }
  | { kind: 'resident-id-taken' };

/**
 * Creates or replaces a user's identity and verifies it anew with the provider (a replaced identity
 * never keeps the old level). When the provider cannot be asked (down, timeout, garbled answer) the
 * identity is still stored, with level `none` and verification `pending`: the user keeps the lowest
 * limits until a later submission is verified, and registration does not fail on the provider.
 */
@Injectable()
export class RegisterIdentityHandler implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(IdentityRepository) private readonly identities: IdentityRepository,
    @Inject(IDENTITY_VERIFIER) private readonly verifier: IdentityVerifier,
    @Inject(RISK_IDENTITY_SETTINGS) private readonly settings: IdentitySettings,
  ) {}

  onModuleInit(): void {
    // where the keys came from, never the keys: a derived key in production would be worth noticing
    this.platform.logger.info({ keySource: this.settings.keySource, currentKeyId: this.settings.keys.current.id, providerUrl: this.settings.providerUrl }, 'identity keys loaded');
  }

  async execute(input: IdentityInput): Promise<RegisterIdentityResult> {
    const check = checkIdentity(input);
    if (!check.ok) return { kind: 'invalid', code: check.code, detail: check.detail };
    const db = this.platform.ds.manager;
    // asked before the provider, so a taken ID costs no verification call
    const owner = await this.identities.userIdByResidentId(db, input.residentId);
    if (owner !== undefined && owner !== input.userId) return { kind: 'resident-id-taken' };
    const outcome = await this.verifier.verify({ name: input.name, residentId: input.residentId, phone: input.phone, bankCard: input.bankCard });
    const log = this.platform.logger.child({ userId: input.userId });
    if (outcome.kind === 'unavailable') log.warn({ reason: outcome.reason }, 'identity provider unavailable; identity stored as pending');
    const verified = outcome.kind === 'answered';
    try {
      const saved = await inTransaction(this.platform.ds, (tx) =>
        this.identities.save(tx, {
          ...input,
          level: verified ? levelFromElements(outcome.elements) : 'none',
          verification: verified ? 'verified' : 'pending',
          providerRef: verified ? outcome.providerRef : null,
          verifiedAt: verified ? new Date() : null,
        }),
      );
      log.info(
        { verificationLevel: saved.identity.level, verification: saved.identity.verification, cardBin: saved.identity.cardBin, created: saved.created, providerRef: saved.identity.providerRef },
        'identity registered',
      );
      return { kind: 'saved', ...saved };
    } catch (error) {
      if (error instanceof ResidentIdTakenError) return { kind: 'resident-id-taken' };
      throw error;
    }
  }
}
