/**
 * A replica's port, checked each time it is (re)started. Ports come from the OS's free ephemeral
 * ports, so while a replica is down another process on the machine (another stack, a client's
 * outgoing connection) may take its port: the replica then fails every start with EADDRINUSE, a
 * supervisor restarts it on the same port for ever, and a stranger answers its /health.
 */
import { createServer } from 'node:net';
import { freePort } from '@paystream/shared/testing';

/** Whether nothing listens on 127.0.0.1:port now (binding it briefly is the only sure test). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The port to start a replica on: its own if still free, else a fresh one. */
export async function claimablePort(current: number): Promise<number> {
  return (await portIsFree(current)) ? current : freePort();
}

/** Whether a /health answer is the expected service's (and not a stranger's that took its port). */
export function isHealthOf(service: string, status: number, body: unknown): boolean {
  return status === 200 && typeof body === 'object' && body !== null && (body as { service?: unknown }).service === service;
}
