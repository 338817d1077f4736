import { OutboxInboxTables1764050000000 } from './outbox-inbox.migration';
import { InboxProcessedAtIndex1765300000000 } from './inbox-retention.migration';
import { OutboxRelayLease1765310000000 } from './outbox-relay-lease.migration';

/** The outbox and inbox migrations, in order: every service runs them before its own. */
export const OUTBOX_INBOX_MIGRATIONS = [OutboxInboxTables1764050000000, InboxProcessedAtIndex1765300000000, OutboxRelayLease1765310000000];
