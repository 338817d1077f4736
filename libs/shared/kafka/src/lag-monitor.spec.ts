import { lagOf } from './lag-monitor';

describe('lagOf', () => {
  it.each([
    [{ committed: 10, low: 0, high: 15 }, 5],
    [{ committed: 15, low: 0, high: 15 }, 0],
    [{ committed: -1, low: 3, high: 9 }, 6], // a group that never committed reads all that is retained
    [{ committed: -1, low: 4, high: 4 }, 0], // an empty partition
    [{ committed: 2, low: 10, high: 15 }, 5], // retention deleted past the commit: resumes at the low watermark
    [{ committed: 20, low: 0, high: 15 }, 0], // a commit ahead of a stale watermark is no negative lag
    [{ committed: 7, low: 7, high: 7 }, 0], // an emptied partition
  ])('%j -> %i', (p, lag) => expect(lagOf(p)).toBe(lag));
});
