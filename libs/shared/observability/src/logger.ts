import pino, { type DestinationStream, type Logger } from 'pino';
import { currentTrace } from './trace';

export type { Logger } from 'pino';

/**
 * A structured JSON logger for a service; child loggers carry paymentId / orderId / traceparent,
 * and every line written inside a trace context (a request, a consumed message) carries its traceId.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: pino.stdSerializers.err },
    mixin: () => {
      const trace = currentTrace();
      return trace ? { traceId: trace.traceId } : {};
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
