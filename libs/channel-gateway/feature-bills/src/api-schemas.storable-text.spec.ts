import { itRefusesUnstorableText } from '@paystream/shared/testing';
import { dateSchema } from './reconciliation-source.controller';

describe('reconciliation-source API schemas', () => {
  itRefusesUnstorableText({ billDate: dateSchema });
});
