import { createRequire } from 'node:module';
import type { DestinationStream, Logger, LoggerOptions } from 'pino';
import { REDACTED, redactText } from './secret-text.ts';

export { REDACTED };

// Keys whose values never reach a log line, wherever they appear in a logged object.
const SECRET_KEY =
  /^(token|apikey|api[-_]key|password|passwd|secret|authorization|bearer|privatekey|private[-_]key|tls\.key|credentials?)$/i;

/**
 * Copies `value`, replacing secret-named fields, the data of Kubernetes Secrets, and secret-looking values in every
 * string (`secret-text.ts`: bearer tokens, Authorization values, PEM private keys, AWS keys, URL passwords, …).
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  if (value instanceof Error) return redactError(value, depth);
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

/** A copy of the error of the same class (pino prints its type), with its message, stack and fields redacted. */
function redactError(error: Error, depth: number): Error {
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error;
  for (const key of Object.getOwnPropertyNames(error)) {
    const field = (error as unknown as Record<string, unknown>)[key];
    Object.defineProperty(copy, key, {
      value: SECRET_KEY.test(key) ? REDACTED : redactSecrets(field, depth + 1),
      enumerable: Object.getOwnPropertyDescriptor(error, key)?.enumerable ?? false,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

export interface LoggerSettings {
  readonly level?: string;
  readonly destination?: DestinationStream;
}

const load = createRequire(import.meta.url);

/**
 * A logger that writes nothing, as pino's at level `silent`, without loading pino and the ~28 modules it brings:
 * `translate` and the planes tests build log nothing, and every run paid for them (bench/translate.startup).
 */
export function silentLogger(): Logger {
  const noop = () => {};
  const logger: Record<string, unknown> = {
    level: 'silent',
    fatal: noop,
    error: noop,
    warn: noop,
    info: noop,
    debug: noop,
    trace: noop,
    silent: noop,
    child: () => logger,
    isLevelEnabled: () => false,
    bindings: () => ({}),
    setBindings: noop,
    flush: (done?: (error?: Error) => void) => done?.(),
  };
  return logger as unknown as Logger;
}

/**
 * JSON logs (pino); actors get children with `actor` set. Secrets are redacted from every logged object. At level
 * `silent` with no destination, `silentLogger()`.
 */
export function createLogger(settings: LoggerSettings = {}): Logger {
  if (settings.level === 'silent' && settings.destination === undefined) return silentLogger();
  const pino = load('pino') as typeof import('pino').default;
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { service: 'switchyard' },
    formatters: {
      log: (object) => redactSecrets(object) as Record<string, unknown>,
    },
    // The message and its interpolated values are text too.
    hooks: {
      logMethod(args, method) {
        const redacted = args.map((arg, index) =>
          index === 0 && typeof arg === 'object' ? arg : redactSecrets(arg),
        ) as Parameters<typeof method>;
        method.apply(this, redacted);
      },
    },
  };
  // stderr, synchronously: stdout stays free for command output, and the last lines survive process.exit.
  return pino(options, settings.destination ?? pino.destination({ dest: 2, sync: true }));
}
