export * from './identity-settings';
export * from './http-identity-verifier';
export * from './register-identity.handler';
export * from './identity.controller';
