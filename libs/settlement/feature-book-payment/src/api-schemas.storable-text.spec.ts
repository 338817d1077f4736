import { itRefusesUnstorableText } from '@paystream/shared/testing';
import { calendarQuerySchema, overrideDateSchema, removeOverrideBodySchema, setOverrideBodySchema } from './override-calendar/calendar-override.request';
import { listQuerySchema } from './query-settlements/settlement-query.controller';
import { runBodySchema } from './run-settlements/settlement-run.controller';

// every text field of settlement's request bodies and queries refuses what Postgres cannot store
describe('settlement API schemas', () => {
  itRefusesUnstorableText(
    {
      setOverrideBody: setOverrideBodySchema,
      removeOverrideBody: removeOverrideBodySchema,
      overrideDate: overrideDateSchema,
      calendarQuery: calendarQuerySchema,
      settlementListQuery: listQuerySchema,
      settlementRunBody: runBodySchema,
    },
    { samples: ['2026-11-25T08:00:00.000Z_6f1c1f59-4d8e-4a4e-9d59-8d5d0f0a3b11', '12345678'] },
  );
});
