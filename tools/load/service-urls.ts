import { SERVICES, type ServiceName } from '@paystream/shared/platform';
import { demoFetch } from './demo-auth';

/** Where the demo finds each service's HTTP API (the same port variables the services read). */
export function serviceUrls(env: Record<string, string | undefined> = process.env) {
  const host = env.HOST ?? '127.0.0.1';
  const url = (s: ServiceName) => `http://${host}:${env[`${SERVICES[s].envPrefix}_PORT`] ?? SERVICES[s].port}`;
  return {
    orderPayment: url('order-payment'),
    channelGateway: url('channel-gateway'),
    risk: url('risk'),
    settlement: url('settlement'),
    merchant: url('merchant'),
    channelEmulator: url('channel-emulator'),
  };
}

/** GET a JSON document; undefined when the service does not answer in time. */
export async function getJson<T = Record<string, unknown>>(url: string, timeoutMs = 3_000): Promise<T | undefined> {
  try {
    const res = await demoFetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return (await res.json()) as T;
  } catch {
    return undefined;
  }
}
