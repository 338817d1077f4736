/** The kinds of principal an audit row names as its actor. */
export const ACTOR_KINDS = ['operator', 'merchant', 'service', 'system'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** Who did it: written `<kind>:<id>` (e.g. `operator:alice`, `system:settlement-payout`). */
export interface Actor {
  readonly kind: ActorKind;
  readonly id: string;
}

/** Longest actor id, in characters (the body fields operators are named by today are at most 64). */
export const ACTOR_ID_LENGTH_MAX = 128;

// printable, no whitespace at the ends, no control characters: an id, not a sentence
const ACTOR_ID = /^[^\s\p{Cc}](?:[^\p{Cc}]*[^\s\p{Cc}])?$/u;

function actor(kind: ActorKind, id: string): Actor {
  if (id.length > ACTOR_ID_LENGTH_MAX || !ACTOR_ID.test(id)) throw new Error(`not an actor id: ${JSON.stringify(id.slice(0, ACTOR_ID_LENGTH_MAX))}`);
  return Object.freeze({ kind, id });
}

/** Builds and reads actors; throws on an empty or control-character id (a programming error). */
export const Actors = {
  /** A human operator (today named by the request; issue 14 makes it the authenticated principal). */
  operator: (id: string): Actor => actor('operator', id),
  /** A merchant acting on its own resources. */
  merchant: (id: string): Actor => actor('merchant', id),
  /** Another service asking over Kafka or HTTP (e.g. `service:order-payment`). */
  service: (name: string): Actor => actor('service', name),
  /** A job of the service itself (e.g. `system:settlement-payout`). */
  system: (job: string): Actor => actor('system', job),
  /** The `<kind>:<id>` text stored in audit_log.actor. */
  format: (a: Actor): string => `${a.kind}:${a.id}`,
  /** Reads `<kind>:<id>` back; undefined when it is not one. */
  parse(text: string): Actor | undefined {
    const at = text.indexOf(':');
    const kind = text.slice(0, at) as ActorKind;
    if (at < 0 || !ACTOR_KINDS.includes(kind)) return undefined;
    try {
      return actor(kind, text.slice(at + 1));
    } catch {
      return undefined;
    }
  },
};

/** The operator that cannot be named yet: a change made with no operator in the request (before issue 14's authentication). */
export const UNAUTHENTICATED_OPERATOR = 'unauthenticated';
