import fc from 'fast-check';
import { channelOrderNo, idOfChannelOrderNo } from './channel-order-no';

describe('channel order numbers', () => {
  it('map a uuid to 32 hex characters and back, for any uuid', () => {
    fc.assert(
      fc.property(fc.uuid(), (id) => {
        const no = channelOrderNo(id);
        expect(no).toMatch(/^[0-9a-f]{32}$/);
        expect(idOfChannelOrderNo(no)).toBe(id.toLowerCase());
      }),
    );
  });

  it('refuse what we never issued', () => {
    expect(idOfChannelOrderNo('ORDER-1')).toBeUndefined();
    expect(idOfChannelOrderNo('')).toBeUndefined();
    expect(() => channelOrderNo('not-a-uuid')).toThrow(RangeError);
  });
});
