import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import type { FastifyReply } from 'fastify';
import { OpsRuntime } from './ops-runtime';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from './status-page';

@Controller()
export class OpsController {
  constructor(@Inject(OpsRuntime) private readonly ops: OpsRuntime) {}

  /**
   * The status page: public, because it holds no figure; its script asks the reader for an sre's
   * operator token and reads /status.json (operator:sre) with it.
   */
  @Get()
  @Allow('public')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  @Header('content-security-policy', STATUS_PAGE_CSP)
  @Header('referrer-policy', 'no-referrer')
  @Header('x-content-type-options', 'nosniff')
  page() {
    return STATUS_PAGE_HTML;
  }

  /** The figures: the cluster's lag, stalls and dead letters, every service's health and ratios. */
  @Get('status.json')
  @Allow('operator:sre')
  @Header('cache-control', 'no-store')
  status() {
    return this.ops.monitor.status();
  }

  @Get('health/live')
  @Allow('public')
  live() {
    return { status: 'ok', service: 'ops' };
  }

  /** Ready once the cluster has been read, and as long as the last read succeeded. */
  @Get('health')
  @Allow('public')
  health(@Res({ passthrough: true }) reply: FastifyReply) {
    const s = this.ops.monitor.status();
    const ready = s.generatedAt !== null && !s.clusterError;
    void reply.status(ready ? 200 : 503);
    return { status: ready ? 'ok' : 'unavailable', service: 'ops', lastReadAt: s.generatedAt, ...(s.clusterError ? { clusterError: s.clusterError } : {}) };
  }

  @Get('metrics')
  @Allow('service:monitoring')
  async metrics(@Res({ passthrough: true }) reply: FastifyReply) {
    void reply.header('content-type', this.ops.registry.contentType);
    return this.ops.registry.metrics();
  }
}
