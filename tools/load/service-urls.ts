/** Where the demo finds each service's HTTP API (the same port variables the services read). */
export function serviceUrls(env: Record<string, string | undefined> = process.env) {
  const host = env.HOST ?? '127.0.0.1';
  const url = (v: string | undefined, port: number) => `http://${host}:${v ?? port}`;
  return {
    orderPayment: url(env.ORDER_PAYMENT_PORT, 3001),
    channelGateway: url(env.CHANNEL_GATEWAY_PORT, 3002),
    risk: url(env.RISK_PORT, 3003),
    settlement: url(env.SETTLEMENT_PORT, 3004),
    channelEmulator: url(env.CHANNEL_EMULATOR_PORT, 3100),
  };
}

/** GET a JSON document; undefined when the service does not answer in time. */
export async function getJson<T = Record<string, unknown>>(url: string, timeoutMs = 3_000): Promise<T | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return (await res.json()) as T;
  } catch {
    return undefined;
  }
}
