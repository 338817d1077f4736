import { Writable } from 'node:stream';
import { createLogger } from './logger';
import { currentTrace, formatTraceparent, nextTraceparent, parseTraceparent, runInTrace, traceIdOf } from './trace';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('traceparent parse and format', () => {
  it('parses the W3C example and formats it back', () => {
    const t = parseTraceparent(VALID);
    expect(t).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '00f067aa0ba902b7', flags: '01' });
    expect(formatTraceparent(t!)).toBe(VALID);
  });

  it.each([
    ['upper-case hex', VALID.toUpperCase()],
    ['version ff', VALID.replace(/^00/, 'ff')],
    ['all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['all-zero parent id', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`],
    ['a short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['version 00 with extra fields', `${VALID}-extra`],
    ['empty', ''],
    ['missing', undefined],
  ])('refuses %s', (_name, header) => expect(parseTraceparent(header)).toBeUndefined());

  it('reads a future version and ignores its extra fields', () => {
    expect(parseTraceparent(`01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-more`)).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '00f067aa0ba902b7', flags: '00' });
  });

  it('continues a trace with a new span id and keeps the flags; starts one without a valid parent', () => {
    const next = parseTraceparent(nextTraceparent(VALID.replace(/01$/, '00')))!;
    expect(next.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(next.parentId).not.toBe('00f067aa0ba902b7');
    expect(next.flags).toBe('00');
    const fresh = parseTraceparent(nextTraceparent('garbage'))!;
    expect(fresh.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh.traceId).not.toBe(parseTraceparent(nextTraceparent())!.traceId);
    expect(traceIdOf(VALID)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});

describe('trace context', () => {
  it('carries the trace through awaits and timers, and continues it in nextTraceparent', async () => {
    expect(currentTrace()).toBeUndefined();
    const seen = await runInTrace(VALID, async () => {
      await new Promise((r) => setTimeout(r, 5));
      return { ctx: currentTrace(), child: nextTraceparent() };
    });
    expect(seen.ctx?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(seen.ctx?.traceparent).not.toBe(VALID); // its own span
    expect(traceIdOf(seen.child)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(currentTrace()).toBeUndefined();
  });

  it('starts a trace of its own when nothing valid came in', () => {
    const a = runInTrace(undefined, () => currentTrace()!.traceId);
    const b = runInTrace('nonsense', () => currentTrace()!.traceId);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });

  it('puts the traceId on every log line written inside a trace', () => {
    const lines: Record<string, unknown>[] = [];
    const sink = createLogger('svc', 'info', new Writable({ write: (chunk, _e, cb) => (lines.push(JSON.parse(String(chunk))), cb()) }));
    runInTrace(VALID, () => sink.child({ paymentId: 'p-1' }).info('inside'));
    sink.info('outside');
    expect(lines[0]).toMatchObject({ msg: 'inside', paymentId: 'p-1', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', service: 'svc' });
    expect(lines[1]).not.toHaveProperty('traceId');
  });
});
