import type { DataSource } from 'typeorm';
import { MERCHANT_MIGRATIONS } from '@paystream/merchant/data-access';
import { CredentialIssuer } from '@paystream/merchant/feature-registry';
import { AUDIT_LOG_MIGRATIONS } from '@paystream/shared/audit-log';
import { AUTH_MIGRATIONS, checkOperatorToken, parsePepper, RegistryCredentials, type AuthRefusalReason } from '@paystream/shared/auth';
import { Outbox, OUTBOX_INBOX_MIGRATIONS } from '@paystream/shared/outbox';
import { inTransaction, openDatabase } from '@paystream/shared/persistence';
import { IDEMPOTENT_REQUEST_MIGRATIONS } from '@paystream/shared/platform';
import { dropSchemas, TEST_CREDENTIAL_PEPPER, testDatabaseUrl, uniqueId } from '@paystream/shared/testing';

/**
 * The registry's credential table as a tool outside the services reads it (the DLQ CLI checks a
 * replay's operator token here, holding no pepper): tokens issued and revoked by the merchant
 * service's own CredentialIssuer, checked by their stored SHA-256.
 */
describe('operator tokens checked against the registry (RegistryCredentials)', () => {
  const schema = uniqueId('mregcred_');
  let ds: DataSource;
  let issuer: CredentialIssuer;
  const issue = <T>(f: (tx: Parameters<Parameters<typeof inTransaction>[1]>[0]) => Promise<T>) => inTransaction(ds, f);
  const refusal = async (token: string): Promise<AuthRefusalReason | 'accepted'> => {
    try {
      await checkOperatorToken(token, 'sre', new RegistryCredentials(ds));
      return 'accepted';
    } catch (error) {
      return (error as { reason: AuthRefusalReason }).reason;
    }
  };

  beforeAll(async () => {
    ds = await openDatabase({ url: testDatabaseUrl(), schema, migrations: [...OUTBOX_INBOX_MIGRATIONS, ...AUDIT_LOG_MIGRATIONS, ...AUTH_MIGRATIONS, ...IDEMPOTENT_REQUEST_MIGRATIONS, ...MERCHANT_MIGRATIONS], poolSize: 2 });
    issuer = new CredentialIssuer(new Outbox('/paystream/merchant'), parsePepper(TEST_CREDENTIAL_PEPPER));
  });
  afterAll(async () => {
    await ds?.destroy();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('accepts an sre operator\'s token as issued, and refuses it once the operator is revoked', async () => {
    const sam = await issue((tx) => issuer.createOperator(tx, 'sam', ['sre'], 'system:setup'));
    expect(await checkOperatorToken(sam.token!, 'sre', new RegistryCredentials(ds))).toEqual({ kind: 'operator', operatorId: 'sam', roles: ['sre'], credentialId: sam.credentialId });
    await issue((tx) => issuer.revokeOperator(tx, 'sam', 'operator:admin'));
    expect(await refusal(sam.token!)).toBe('key_revoked');
  });

  it('refuses an operator without the sre role, a service token and a forged secret', async () => {
    const fin = await issue((tx) => issuer.createOperator(tx, 'fin', ['finance', 'admin'], 'system:setup'));
    const svc = await issue((tx) => issuer.createServiceToken(tx, 'settlement', 'system:setup'));
    const ops = await issue((tx) => issuer.createOperator(tx, 'ops', ['sre'], 'system:setup'));
    expect(await refusal(fin.token!)).toBe('forbidden');
    expect(await refusal(svc.token!)).toBe('key_unknown');
    expect(await refusal(`${ops.credentialId}.${fin.secret}`)).toBe('signature_invalid');
    expect(await refusal(ops.token!)).toBe('accepted');
  });
});
