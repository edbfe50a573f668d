import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

// Keys whose values never reach a log line, wherever they appear in a logged object.
const SECRET_KEY =
  /^(token|apikey|api[-_]key|password|passwd|secret|authorization|bearer|privatekey|private[-_]key|tls\.key|credentials?)$/i;
export const REDACTED = '[REDACTED]';

/** Copies `value`, replacing secret-looking fields and the data of Kubernetes Secrets. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  if (value instanceof Error) return value;
  const source = value as Record<string, unknown>;
  const isSecret = source.kind === 'Secret';
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(source)) {
    if (SECRET_KEY.test(key) || (isSecret && (key === 'data' || key === 'stringData'))) {
      copy[key] = field === undefined ? undefined : REDACTED;
    } else {
      copy[key] = redactSecrets(field, depth + 1);
    }
  }
  return copy;
}

export interface LoggerSettings {
  readonly level?: string;
  readonly destination?: DestinationStream;
}

/** JSON logs (pino); actors get children with `actor` set. Secrets are redacted from every logged object. */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { service: 'switchyard' },
    formatters: {
      log: (object) => redactSecrets(object) as Record<string, unknown>,
    },
  };
  // stderr, synchronously: stdout stays free for command output, and the last lines survive process.exit.
  return pino(options, settings.destination ?? pino.destination({ dest: 2, sync: true }));
}
