import type { OperatorRole } from '@paystream/contracts';
import type { KeyMode } from './derived-secret';

/** Who is calling, as the auth guard established it (docs/design/trust-boundary.md section 4). */
export type Principal =
  | { kind: 'merchant'; merchantId: string; keyId: string; mode: KeyMode }
  | { kind: 'operator'; operatorId: string; roles: readonly OperatorRole[]; credentialId: string }
  | { kind: 'service'; name: string; credentialId: string }
  | { kind: 'public' }
  | { kind: 'channel' };

/** What a route may declare with @Allow: who may call it. */
export type Policy = 'public' | 'merchant' | 'channel' | `operator:${OperatorRole}` | `service:${string}`;

/** The request property the guard writes the principal to (Fastify request object). */
export const PRINCIPAL_PROPERTY = 'paystreamPrincipal';

/** A request that went through the auth guard. */
export interface AuthenticatedRequest {
  [PRINCIPAL_PROPERTY]?: Principal;
}

/** The principal the guard attached to a request; undefined when no guard ran (a programming error on a routed request). */
export function principalOf(request: object): Principal | undefined {
  return (request as AuthenticatedRequest)[PRINCIPAL_PROPERTY];
}

/** A short text naming the principal for logs (never a secret). */
export function describePrincipal(p: Principal): string {
  switch (p.kind) {
    case 'merchant':
      return `merchant:${p.merchantId} (${p.keyId})`;
    case 'operator':
      return `operator:${p.operatorId} [${p.roles.join(',')}]`;
    case 'service':
      return `service:${p.name}`;
    default:
      return p.kind;
  }
}
