import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** A structured JSON logger for a service; child loggers carry paymentId / orderId / traceparent. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: pino.stdSerializers.err },
  });
}
