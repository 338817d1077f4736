import { createServer, type Server } from 'node:net';
import { claimablePort, isHealthOf, portIsFree } from './replica-port';

const listen = (port = 0) =>
  new Promise<Server>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
const portOf = (s: Server) => (s.address() as { port: number }).port;
const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));

describe('a replica restarted on a port someone else took meanwhile', () => {
  it('keeps its port while it is free', async () => {
    const s = await listen();
    const port = portOf(s);
    await close(s);
    expect(await portIsFree(port)).toBe(true);
    expect(await claimablePort(port)).toBe(port);
  });

  it('gets a fresh port that it can bind when another process listens on its own', async () => {
    const stranger = await listen();
    try {
      const taken = portOf(stranger);
      expect(await portIsFree(taken)).toBe(false);
      const fresh = await claimablePort(taken);
      expect(fresh).not.toBe(taken);
      await close(await listen(fresh));
    } finally {
      await close(stranger);
    }
  });

  it.each([
    ['its own ready answer', true, 200, { status: 'ok', service: 'risk' }],
    ['another service on its port', false, 200, { status: 'ok', service: 'settlement' }],
    ['its own, not ready', false, 503, { status: 'unavailable', service: 'risk' }],
    ['an answer without a service', false, 200, { status: 'ok' }],
  ])('risk answered by %s: ready %s', (_label, ready, status, body) => expect(isHealthOf('risk', status, body)).toBe(ready));
});
