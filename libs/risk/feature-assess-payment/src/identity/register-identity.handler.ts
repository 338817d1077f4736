import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { checkIdentity, levelFromElements, type IdentityErrorCode, type IdentityInput, type IdentityVerifier } from '@paystream/risk/domain';
import { IdentityRepository, ResidentIdTakenError, type StoredIdentity } from '@paystream/risk/data-access';
import { inTransaction } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { RISK_IDENTITY_SETTINGS, type IdentitySettings } from './identity-settings';

/** Nest token of the IdentityVerifier (the provider adapter). */
export const IDENTITY_VERIFIER = Symbol('IDENTITY_VERIFIER');

export type RegisterIdentityResult = { kind: 'saved'; identity: StoredIdentity; created: boolean } | { kind: 'invalid'; code: IdentityErrorCode; detail: string };

/**
 * Creates or replaces the merchant's identity of its user and verifies it anew with the provider (a
 * replaced identity never keeps the old level). When the provider cannot be asked (down, timeout,
 * garbled answer) the identity is still stored, with level `none` and verification `pending`: the
 * user keeps the lowest limits until a later submission is verified, and registration does not fail
 * on the provider.
 *
 * One resident ID binds one user of a merchant. A resident ID bound to another of the merchant's
 * users is not refused (a refusal would tell anyone who can submit an ID whether it is registered):
 * it is verified and answered exactly like any other, and stored with its binding held, so it
 * grants no level (levelOf answers `none`) while held; a risk operator sees it (GET
 * /identities/:userId), and the user is bound when it registers again once the ID is free.
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

  /** Registers the identity as `merchantId`'s (the caller's, never a field of the body). */
  async execute(merchantId: string, input: IdentityInput): Promise<RegisterIdentityResult> {
    const check = checkIdentity(input);
    if (!check.ok) return { kind: 'invalid', code: check.code, detail: check.detail };
    const db = this.platform.ds.manager;
    const owner = await this.identities.userIdByResidentId(db, merchantId, input.residentId);
    // the provider is asked whether or not the ID is taken: the answer, and the time it takes, are the same
    const outcome = await this.verifier.verify({ name: input.name, residentId: input.residentId, phone: input.phone, bankCard: input.bankCard });
    const log = this.platform.logger.child({ merchantId, userId: input.userId });
    if (outcome.kind === 'unavailable') log.warn({ reason: outcome.reason }, 'identity provider unavailable; identity stored as pending');
    const verified = outcome.kind === 'answered';
    const write = {
      ...input,
      merchantId,
      level: verified ? levelFromElements(outcome.elements) : 'none',
      verification: verified ? 'verified' : 'pending',
      providerRef: verified ? outcome.providerRef : null,
      verifiedAt: verified ? new Date() : null,
    } as const;
    const save = (bindingHeld: boolean) => inTransaction(this.platform.ds, (tx) => this.identities.save(tx, { ...write, bindingHeld }));
    let saved: Awaited<ReturnType<typeof save>>;
    try {
      saved = await save(owner !== undefined && owner !== input.userId);
    } catch (error) {
      // another of the merchant's users bound the ID meanwhile: held, as if it had been bound before
      if (!(error instanceof ResidentIdTakenError)) throw error;
      saved = await save(true);
    }
    if (saved.identity.bindingHeld) log.warn({ created: saved.created }, 'identity binding held: its resident ID is bound to another user of the merchant (no level while held; a risk operator sees it)');
    log.info(
      { verificationLevel: saved.identity.level, verification: saved.identity.verification, cardBin: saved.identity.cardBin, created: saved.created, providerRef: saved.identity.providerRef },
      'identity registered',
    );
    return { kind: 'saved', ...saved };
  }
}
