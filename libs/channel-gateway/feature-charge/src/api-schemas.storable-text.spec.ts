import { itRefusesUnstorableText } from '@paystream/shared/testing';
import { cardSchema } from './cards/card.controller';

// every text field of channel-gateway's request bodies refuses what Postgres cannot store
describe('channel-gateway API schemas', () => {
  itRefusesUnstorableText({ cardBody: cardSchema }, { samples: ['6212345678901234', '1230', '123'] });
});
