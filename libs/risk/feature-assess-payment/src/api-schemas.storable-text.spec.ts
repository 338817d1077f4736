import { ruleSetSchema } from '@paystream/risk/domain';
import { itRefusesUnstorableText } from '@paystream/shared/testing';
import { answerSchema } from './identity/http-identity-verifier';
import { identityBodySchema } from './identity/identity.controller';
import { verdictSchema } from './review/review.controller';
import { publishSchema } from './rules/rule-set.controller';

// every text field of risk's request bodies (and the identity provider's answer) refuses what Postgres cannot store
describe('risk API schemas', () => {
  itRefusesUnstorableText(
    // a published body's rules are parsed by ruleSetSchema, walked here too
    { identityBody: identityBodySchema, reviewVerdict: verdictSchema, publishRules: publishSchema, ruleSet: ruleSetSchema, identityAnswer: answerSchema },
    { opaque: { publishRules: ['rules'] } },
  );
});
