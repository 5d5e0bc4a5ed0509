/**
 * Structured JSON logs (pino). Every secret-bearing field is redacted by path, and
 * connection strings are masked before they are ever handed to the logger.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths pino censors wherever they appear in a log object. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'password',
  '*.password',
  'apiKey',
  '*.apiKey',
  'connectionString',
  '*.connectionString',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'media-analysis' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination as pino.DestinationStream | undefined,
  );
}
