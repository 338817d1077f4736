import { createServer } from 'node:net';
import { freePort, TEST_PORT_MAX, TEST_PORT_MIN } from './infra';

describe('freePort', () => {
  it('hands out ports below the ephemeral range, free to listen on', async () => {
    const ports = await Promise.all(Array.from({ length: 5 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(TEST_PORT_MIN);
      expect(port).toBeLessThanOrEqual(TEST_PORT_MAX);
      await new Promise<void>((resolve, reject) => {
        const server = createServer().once('error', reject);
        server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
      });
    }
  });
});
