import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@paystream/shared/observability';
import { formFields } from '@paystream/shared/platform';
import type { FaultTarget, SandboxFaults } from './fault-plan';

/** What a request to the emulator asks of a channel or the bank. Bills are never faulted: reconciliation is not the chaos runner's subject. */
export type CallOperation = 'charge' | 'refund' | 'payout' | 'query' | 'close' | 'token' | 'bill';
export interface FaultedCall {
  target: FaultTarget;
  operation: CallOperation;
}

/** Which operations each call fault may hit (timeout-after-acting only those that book money). */
export const CALL_FAULT_OPERATIONS = {
  slow: ['charge', 'refund', 'payout', 'query', 'close', 'token'],
  'http-5xx': ['charge', 'refund', 'payout', 'query', 'close', 'token'],
  'timeout-after-acting': ['charge', 'refund', 'payout'],
} as const satisfies Record<string, readonly CallOperation[]>;

const UNIONPAY_TXN_TYPE_OPERATIONS: Readonly<Record<string, CallOperation>> = { '01': 'charge', '04': 'refund', '79': 'token' };

/**
 * The channel (or the bank) a request speaks to and what it asks, from its route; undefined for the
 * sandbox's own controls, health and anything not a channel call. Queries are recognised broadly
 * (any Alipay `*.query` method, any WeChat Pay GET) so query routes added later are covered.
 */
export function faultedCall(method: string, url: string, query: unknown, body: unknown): FaultedCall | undefined {
  const path = url.split('?')[0] ?? '';
  if (path === '/alipay/gateway.do') {
    const m = typeof query === 'object' && query !== null ? String((query as Record<string, unknown>).method ?? '') : '';
    if (m === 'alipay.data.dataservice.bill.downloadurl.query') return { target: 'alipay', operation: 'bill' };
    if (m === 'alipay.trade.pay' || m === 'alipay.trade.precreate') return { target: 'alipay', operation: 'charge' };
    if (m === 'alipay.trade.refund') return { target: 'alipay', operation: 'refund' };
    if (m === 'alipay.trade.close') return { target: 'alipay', operation: 'close' };
    if (m.endsWith('.query')) return { target: 'alipay', operation: 'query' };
    return undefined;
  }
  if (path.startsWith('/v3/')) {
    if (path.startsWith('/v3/bill/') || path.startsWith('/v3/billdownload/')) return { target: 'wechatpay', operation: 'bill' };
    if (method === 'GET') return { target: 'wechatpay', operation: 'query' };
    if (path === '/v3/pay/transactions/native') return { target: 'wechatpay', operation: 'charge' };
    if (path === '/v3/refund/domestic/refunds') return { target: 'wechatpay', operation: 'refund' };
    if (path.endsWith('/close')) return { target: 'wechatpay', operation: 'close' };
    return undefined;
  }
  if (path === '/gateway/api/backTransReq.do') {
    const operation = UNIONPAY_TXN_TYPE_OPERATIONS[formFields(body).txnType ?? ''];
    return operation ? { target: 'unionpay', operation } : undefined;
  }
  if (path === '/gateway/api/queryTrans.do') return { target: 'unionpay', operation: 'query' };
  if (path === '/unionpay/filedownload') return { target: 'unionpay', operation: 'bill' };
  if (path === '/bank/payouts' && method === 'POST') return { target: 'bank', operation: 'payout' };
  if (path.startsWith('/bank/payouts/') && method === 'GET') return { target: 'bank', operation: 'query' };
  return undefined;
}

const hits = (kind: keyof typeof CALL_FAULT_OPERATIONS, call: FaultedCall) => (CALL_FAULT_OPERATIONS[kind] as readonly CallOperation[]).includes(call.operation);

/** A 5xx as the target answers one when it is down (WeChat Pay's JSON error, the bank's ERROR; the others plain 503). */
function answer5xx(reply: FastifyReply, call: FaultedCall, request: FastifyRequest): FastifyReply {
  if (call.target === 'wechatpay') return reply.status(500).header('content-type', 'application/json').send(JSON.stringify({ code: 'SYSTEM_ERROR', message: '系统错误' }));
  if (call.target === 'bank') {
    const body = request.body as { payoutId?: unknown } | undefined;
    const payoutId = call.operation === 'payout' ? String(body?.payoutId ?? '') : decodeURIComponent(request.url.split('?')[0]!.split('/').pop() ?? '');
    return reply.status(503).header('content-type', 'application/json').send(JSON.stringify({ status: 'ERROR', payoutId, code: 'SYSTEM_ERROR' }));
  }
  return reply.status(503).header('content-type', 'text/plain; charset=utf-8').send('Service Unavailable');
}

/**
 * Puts the call faults in the request path, without touching the controllers: before the handler,
 * `http-5xx` answers a 5xx and the handler never runs (nothing is booked), `slow` waits delayMs (so a
 * delay past the caller's timeout means the channel acts after the caller gave up); after the handler
 * has acted, `timeout-after-acting` holds the answer back for hangMs.
 */
export function injectCallFaults(fastify: FastifyInstance, faults: SandboxFaults, logger: Logger): void {
  const hanging = new WeakMap<FastifyRequest, number>();
  // requests waiting out a fault: on shutdown their connections are cut, or the close would wait for them (and keep-alive)
  const waiting = new Map<FastifyRequest, () => void>();
  const wait = (request: FastifyRequest, ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        waiting.delete(request);
        resolve();
      }
      waiting.set(request, done);
    });
  fastify.addHook('preClose', (done) => {
    for (const [request, wake] of waiting) {
      request.raw.socket?.destroy();
      wake();
    }
    done();
  });
  fastify.addHook('preHandler', async (request, reply) => {
    const call = faultedCall(request.method, request.url, request.query, request.body);
    if (!call) return;
    if (hits('http-5xx', call) && faults.decide('http-5xx', call.target)) {
      logger.warn({ ...call, fault: 'http-5xx' }, 'fault: answered 5xx without acting');
      return answer5xx(reply, call, request);
    }
    const slow = hits('slow', call) ? faults.fault('slow', call.target) : undefined;
    if (slow && faults.decide('slow', call.target)) {
      // a late answer closes its connection: a keep-alive connection busy at shutdown would hold the close for the keep-alive timeout (72 s)
      void reply.header('connection', 'close');
      await wait(request, slow.delayMs);
    }
    const hang = hits('timeout-after-acting', call) ? faults.fault('timeout-after-acting', call.target) : undefined;
    if (hang && faults.decide('timeout-after-acting', call.target)) {
      void reply.header('connection', 'close');
      hanging.set(request, hang.hangMs);
    }
  });
  fastify.addHook('onSend', async (request, _reply, payload) => {
    const hangMs = hanging.get(request);
    if (hangMs === undefined) return payload;
    logger.warn({ url: request.url.split('?')[0], hangMs, fault: 'timeout-after-acting' }, 'fault: acted, answer held back');
    await wait(request, hangMs);
    return payload;
  });
}
