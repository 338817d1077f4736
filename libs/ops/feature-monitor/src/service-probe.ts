import { parseMetricsText, type MetricSample } from '@paystream/ops/domain';
import { callText } from '@paystream/shared/platform';

/** How long a service may take to answer /health or /metrics before it counts as down. */
export const SERVICE_PROBE_TIMEOUT_MS = 2_000;

/** A service ops watches, and where its HTTP API answers. */
export interface ServiceTarget {
  service: string;
  url: string;
  /** The service:monitoring bearer token its /metrics asks for (issue 14); none: only /health is read. */
  metricsToken?: string;
}

export interface ServiceProbe {
  service: string;
  url: string;
  up: boolean;
  /** Why it counts as down: the /health status, or why there was no answer. */
  detail?: string;
  /** Why its figures could not be read: /metrics answered other than 200 (401/403: ops' monitoring token is missing or unknown there). */
  metricsDetail?: string;
  /** Its /metrics samples (empty when it did not answer). */
  samples: MetricSample[];
}

/** GET /health (up: a 200 answer) and GET /metrics of one service. */
export async function probeService(target: ServiceTarget, timeoutMs = SERVICE_PROBE_TIMEOUT_MS): Promise<ServiceProbe> {
  let up = false;
  let answered = false;
  let detail: string | undefined;
  try {
    const health = await callText(`${target.url}/health`, { timeoutMs });
    answered = true;
    up = health.status === 200;
    if (!up) detail = `GET /health answered ${health.status}`;
  } catch (error) {
    detail = (error as Error).message;
  }
  let samples: MetricSample[] = [];
  let metricsDetail: string | undefined;
  // a service that answers but is not ready (its broker is away) still counts what it did
  if (answered) {
    try {
      // /metrics is service:monitoring's (docs/design/trust-boundary.md section 5): ops bears that token
      const metrics = await callText(`${target.url}/metrics`, { timeoutMs, ...(target.metricsToken ? { headers: { authorization: `Bearer ${target.metricsToken}` } } : {}) });
      if (metrics.status === 200) samples = parseMetricsText(metrics.text);
      else metricsDetail = `GET /metrics answered ${metrics.status}${metrics.status === 401 || metrics.status === 403 ? (target.metricsToken ? ' (it does not accept the monitoring token)' : ' (no monitoring token: OPS_MONITORING_TOKEN_FILE)') : ''}`;
    } catch {
      // the figures stay as last seen; up/down is judged by /health alone
    }
  }
  return { service: target.service, url: target.url, up, ...(detail ? { detail } : {}), ...(metricsDetail ? { metricsDetail } : {}), samples };
}
