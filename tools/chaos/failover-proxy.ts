/**
 * A tiny HTTP front for a service's replicas (what a load balancer does for them in production): each
 * request goes to the next replica in turn, and to the other one when a replica refuses the connection,
 * answers nothing in time, or answers 5xx. The channel emulator's notifications and settlement's calls to
 * the gateway go through it, so they reach a live gateway replica while the other is killed or paused.
 * A request may so reach two replicas; the calls it carries are idempotent (notifications, bill downloads).
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';

/** How long one replica may take to answer before the request is tried on the next. */
export const PROXY_UPSTREAM_TIMEOUT_MS = 10_000;

interface Upstream {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The order to try upstreams in for the n-th request: round robin, then the rest. Pure. */
export function upstreamOrder(n: number, count: number): number[] {
  return Array.from({ length: count }, (_, k) => (n + k) % count);
}

export class FailoverProxy {
  private server?: Server;
  private requests = 0;
  port = 0;

  constructor(private readonly upstreams: () => string[]) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void this.forward(req.method ?? 'GET', req.url ?? '/', req.headers, Buffer.concat(chunks)).then(
          (up) => {
            res.writeHead(up.status, up.headers);
            res.end(up.body);
          },
          (error: unknown) => {
            res.writeHead(502, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: { code: 'NO_REPLICA_ANSWERED', message: String(error) } }));
          },
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    this.server = server;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve) ?? resolve(undefined));
  }

  private async forward(method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Upstream> {
    const targets = this.upstreams();
    let last: unknown;
    for (const i of upstreamOrder(this.requests++, targets.length)) {
      try {
        const up = await this.call(targets[i]!, method, path, headers, body);
        if (up.status < 500) return up;
        last = up;
      } catch (error) {
        last = error;
      }
    }
    if (last && typeof last === 'object' && 'status' in last) return last as Upstream;
    throw last ?? new Error('no upstream');
  }

  private call(base: string, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Upstream> {
    const target = new URL(path, base);
    return new Promise((resolve, reject) => {
      const req = httpRequest(target, { method, headers: { ...headers, host: target.host }, timeout: PROXY_UPSTREAM_TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${base} did not answer within ${PROXY_UPSTREAM_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}
