import { itRefusesUnstorableText } from '@paystream/shared/testing';
import { billSchema, oursSchema } from './reconciliation-sources.client';
import { breakFilterSchema, runFilterSchema, runRequestSchema } from './run-reconciliation/reconciliation.controller';

// the reconciliation API and the channel-gateway answers it stores refuse what Postgres cannot store
describe('reconciliation API and source schemas', () => {
  itRefusesUnstorableText({ runRequest: runRequestSchema, runFilter: runFilterSchema, breakFilter: breakFilterSchema, channelBill: billSchema, ourRecords: oursSchema });
});
