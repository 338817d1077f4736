export * from './registry-settings';
export * from './registry.module';
export * from './registry.request';
export * from './merchant-registry';
export * from './payout-account-change.job';
export * from './operator-of';
export * from './credentials/credential-issuer';
