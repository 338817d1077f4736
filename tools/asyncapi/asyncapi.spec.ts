import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_TOPICS } from '@paystream/contracts';
import { buildAsyncApiDocument } from './asyncapi';

describe('the AsyncAPI document', () => {
  const doc = buildAsyncApiDocument() as { channels: Record<string, { address: string }>; components: { messages: Record<string, { payload: { required?: string[] } }> } };

  it('describes every topic of the contract', () => {
    expect(Object.values(doc.channels).map((c) => c.address).sort()).toEqual([...ALL_TOPICS].sort());
  });

  it('carries the payload fields the architecture names', () => {
    expect(doc.components.messages.payment_requested_v1!.payload.required).toEqual(
      expect.arrayContaining(['orderId', 'merchantId', 'userId', 'amountMinor', 'currency', 'subject', 'requestedAt']),
    );
  });

  it('is the committed docs/asyncapi.json (run `npm run asyncapi` after changing the contracts)', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'asyncapi.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildAsyncApiDocument())));
  });
});
