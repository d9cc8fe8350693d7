/**
 * The server's structured logs: pino, as Fastify ships it. One JSON line per
 * event, with the request id, method, route, status and duration of every
 * request; secrets never reach it (credential headers are redacted, and
 * credential-like query values are cut from logged URLs). `--log-file` writes
 * to a file rotated daily and kept 30 days (pino-roll); a terminal gets pretty lines.
 */
import type { FastifyRequest, FastifyServerOptions } from 'fastify';

export interface LogSettings {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Rotated daily, the last 30 days kept; else standard output. */
  file?: string | undefined;
  /** Human-readable lines (pino-pretty) instead of JSON, for a terminal. */
  pretty?: boolean;
  /** Where JSON lines go instead (tests read them). */
  stream?: NodeJS.WritableStream;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Whatever a request or a log call carries that could be a credential. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.apiKey',
  '*.key',
];

const CREDENTIAL_IN_QUERY = /([?&](?:token|ticket|key|api_key|apikey|password|code|state)=)[^&#]*/gi;

/** A URL as it may be logged: the values of credential-like query parameters replaced. */
export function loggableUrl(url: string): string {
  return url.replace(CREDENTIAL_IN_QUERY, '$1[Redacted]');
}

const LOG_FILES_KEPT = 30;

export function loggerOptions(settings: LogSettings): NonNullable<FastifyServerOptions['logger']> {
  const transport = settings.file !== undefined
    ? { target: 'pino-roll', options: { file: settings.file, frequency: 'daily', dateFormat: 'yyyy-MM-dd', limit: { count: LOG_FILES_KEPT }, mkdir: true } }
    : settings.pretty === true
      ? { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } }
      : undefined;
  return {
    level: settings.level,
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: loggableUrl(request.url),
        route: request.routeOptions?.url,
        remoteAddress: request.ip,
      }),
    },
    ...(transport === undefined ? {} : { transport }),
    ...(settings.stream === undefined ? {} : { stream: settings.stream }),
  };
}
