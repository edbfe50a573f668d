import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';

// Settings come from flags, then environment variables, then a config file, then defaults — in that order of
// precedence. Every bad value is reported as a UsageError naming the flag, and the CLI exits 2.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Starts what listens on the address a flag gives: a port in use (or an address this machine cannot bind) is the
 * flag's fault, and the message names the flag.
 */
export async function listenFor<T>(flag: string, address: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const text = `${(error as NodeJS.ErrnoException).code ?? ''} ${(error as Error).message}`;
    if (text.includes('EADDRINUSE'))
      throw new UsageError(
        `${flag}: ${address} is in use by another process; stop it or choose another address`,
      );
    if (text.includes('EADDRNOTAVAIL'))
      throw new UsageError(`${flag}: ${address} is not an address of this machine`);
    if (text.includes('EACCES'))
      throw new UsageError(`${flag}: ${address} needs privileges to bind (a port below 1024?)`);
    throw error;
  }
}

type Kind = 'string' | 'integer' | 'boolean' | 'address' | 'enum' | 'list';

export interface OptionSpec {
  readonly kind: Kind;
  readonly description: string;
  readonly default?: string | number | boolean | readonly string[];
  /** For `enum`. */
  readonly values?: readonly string[];
  /** For `integer`. */
  readonly min?: number;
  readonly max?: number;
  readonly short?: string;
  /** Shown in help, e.g. `<dir>`. */
  readonly valueLabel?: string;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

export type OptionValue = string | number | boolean | readonly string[] | undefined;

export interface ParsedCommand {
  readonly values: Readonly<Record<string, OptionValue>>;
  readonly positionals: readonly string[];
  /** Where each value came from, for `--help`-style diagnostics and tests. */
  readonly sources: Readonly<Record<string, 'flag' | 'env' | 'config' | 'default'>>;
}

/** The controller's variables; every other command's carry its name too (`envPrefix`). */
export const CONTROLLER_ENV_PREFIX = 'SWITCHYARD_';

/**
 * The prefix of a command's environment variables: `SWITCHYARD_` for the controller (the long-running process,
 * configured through its Deployment), `SWITCHYARD_<COMMAND>_` for the others — so that one name never sets two
 * different things (`--http-address` is the controller's probes on 8081 but extproc's own, off by default).
 */
export function envPrefix(command: string): string {
  return command === 'controller' ? CONTROLLER_ENV_PREFIX : `SWITCHYARD_${envWord(command)}_`;
}

/** `shutdown-timeout` → `SWITCHYARD_SHUTDOWN_TIMEOUT`; with extproc's prefix, `SWITCHYARD_EXTPROC_…`. */
export function envName(flag: string, prefix = CONTROLLER_ENV_PREFIX): string {
  return `${prefix}${envWord(flag)}`;
}

function envWord(name: string): string {
  return name.toUpperCase().replaceAll('-', '_');
}

/** `shutdown-timeout` → `shutdownTimeout`, the key used in config files. */
export function configKey(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function parseCommand(
  table: OptionTable,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  prefix = CONTROLLER_ENV_PREFIX,
): ParsedCommand {
  const parseOptions: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    config: { type: 'string' },
  };
  for (const [flag, spec] of Object.entries(table)) {
    parseOptions[flag] = {
      type: spec.kind === 'boolean' ? 'boolean' : 'string',
      ...(spec.short === undefined ? {} : { short: spec.short }),
      ...(spec.kind === 'list' ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: parseOptions, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(describeParseError(error, Object.keys(parseOptions)));
  }
  const flags = parsed.values as Record<string, string | boolean | string[] | undefined>;
  // A command may define --config itself (extproc's service configuration); then there is no settings file.
  const settingsFile = !('config' in table);
  const configPath = settingsFile
    ? ((flags.config as string | undefined) ?? env[envName('config', prefix)])
    : undefined;
  const config = configPath === undefined ? {} : readConfigFile(configPath);
  for (const key of Object.keys(config)) {
    if (!Object.keys(table).some((flag) => configKey(flag) === key)) {
      const meant = closestName(key, Object.keys(table).map(configKey));
      throw new UsageError(
        `config file ${configPath}: unknown setting "${key}"${meant === undefined ? '' : ` (did you mean "${meant}"?)`}`,
      );
    }
  }

  const values: Record<string, OptionValue> = {};
  const sources: Record<string, 'flag' | 'env' | 'config' | 'default'> = {};
  for (const [flag, spec] of Object.entries(table)) {
    const fromFlag = flags[flag];
    const fromEnv = env[envName(flag, prefix)];
    const fromConfig = config[configKey(flag)];
    if (fromFlag !== undefined) {
      values[flag] = coerce(flag, spec, fromFlag, `--${flag}`);
      sources[flag] = 'flag';
    } else if (fromEnv !== undefined && fromEnv !== '') {
      values[flag] = coerce(
        flag,
        spec,
        spec.kind === 'list' ? fromEnv.split(',') : fromEnv,
        envName(flag, prefix),
      );
      sources[flag] = 'env';
    } else if (fromConfig !== undefined) {
      values[flag] = coerce(flag, spec, fromConfig, `${configKey(flag)} in ${configPath}`);
      sources[flag] = 'config';
    } else {
      values[flag] = spec.default;
      sources[flag] = 'default';
    }
  }
  return { values, positionals: parsed.positionals, sources };
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--config: cannot read ${path}: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new UsageError(`--config: ${path} is not valid YAML: ${(error as Error).message}`);
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new UsageError(`--config: ${path} must be a mapping of settings (e.g. "logLevel: debug")`);
  }
  return document as Record<string, unknown>;
}

function coerce(flag: string, spec: OptionSpec, raw: unknown, origin: string): OptionValue {
  const fail = (expected: string): never => {
    throw new UsageError(`${origin}: invalid value ${JSON.stringify(raw)}; expected ${expected}`);
  };
  switch (spec.kind) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      return fail('true or false');
    }
    case 'integer': {
      const n =
        typeof raw === 'number'
          ? raw
          : typeof raw === 'string' && /^-?\d+$/.test(raw.trim())
            ? Number(raw)
            : NaN;
      if (!Number.isInteger(n)) return fail('a whole number');
      if (spec.min !== undefined && n < spec.min) return fail(`a whole number ≥ ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) return fail(`a whole number ≤ ${spec.max}`);
      return n;
    }
    case 'enum': {
      const values = spec.values ?? [];
      if (typeof raw !== 'string' || !values.includes(raw)) return fail(`one of ${values.join(', ')}`);
      return raw;
    }
    case 'address': {
      if (typeof raw !== 'string') return fail('host:port, e.g. 127.0.0.1:8081');
      parseAddress(raw, origin);
      return raw;
    }
    case 'list': {
      const items = Array.isArray(raw) ? raw : [raw];
      if (!items.every((item) => typeof item === 'string' && item !== ''))
        return fail('one or more non-empty values');
      return items as string[];
    }
    default: {
      if (typeof raw !== 'string' || raw === '') return fail(`a non-empty value for --${flag}`);
      return raw;
    }
  }
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `127.0.0.1:8081`, `[::1]:8081` or `:8081` (all interfaces). */
export function parseAddress(value: string, origin = 'address'): HostPort {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || port > 65535) {
    throw new UsageError(
      `${origin}: invalid address ${JSON.stringify(value)}; expected host:port, e.g. 127.0.0.1:8081`,
    );
  }
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

function describeParseError(error: unknown, flags: readonly string[]): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(message)?.[1] ?? '';
    const meant = flag.startsWith('--') ? closestName(flag.slice(2).split('=')[0]!, flags) : undefined;
    return `unknown flag ${flag}${meant === undefined ? '' : ` (did you mean --${meant}?)`}; see --help`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `${message.split('\n')[0]}; see --help`;
  return message;
}

/** The options part of a command's --help. */
export function formatOptions(table: OptionTable, prefix = CONTROLLER_ENV_PREFIX): string {
  const rows = Object.entries(table).map(([flag, spec]) => {
    const name = `${spec.short === undefined ? '    ' : `-${spec.short}, `}--${flag}${spec.kind === 'boolean' ? '' : ` ${spec.valueLabel ?? `<${spec.kind === 'enum' ? 'value' : spec.kind}>`}`}`;
    const details = [
      spec.description,
      spec.kind === 'enum' ? `one of: ${spec.values?.join(', ')}` : undefined,
      spec.default === undefined
        ? undefined
        : `default: ${Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default)}`,
      `env: ${envName(flag, prefix)}`,
    ].filter((d) => d !== undefined);
    return optionRow(name, details.join('; '));
  });
  if (!('config' in table)) {
    rows.push(
      optionRow(
        '    --config <file>',
        `YAML file of settings (camelCase keys); env: ${envName('config', prefix)}`,
      ),
    );
  }
  rows.push(optionRow('-h, --help', 'show this help'));
  return rows.join('\n');
}

const OPTION_COLUMN = 34;

/** One flag of --help: its description beside it, or on the next line under the column when the flag is longer. */
function optionRow(name: string, description: string): string {
  return name.length <= OPTION_COLUMN
    ? `  ${name.padEnd(OPTION_COLUMN)} ${description}`
    : `  ${name}\n  ${' '.repeat(OPTION_COLUMN)} ${description}`;
}

/**
 * A PEM file named by a flag (`marker`: `CERTIFICATE`, `PRIVATE KEY`), read at start; unreadable or without such a
 * block it is a UsageError naming the flag.
 */
export function readPemFlag(flag: string, file: string, marker = 'CERTIFICATE'): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--${flag}: cannot read ${file}: ${(error as Error).message}`);
  }
  if (!text.includes(`-----BEGIN `) || !text.includes(marker)) {
    throw new UsageError(`--${flag}: ${file} holds no PEM ${marker.toLowerCase()}`);
  }
  return text;
}

/** The candidate a mistyped name most likely meant: one it is a prefix of, or within two edits of it. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  if (name.length < 2) return undefined;
  const prefixed = candidates.filter((candidate) => candidate.startsWith(name));
  if (prefixed.length === 1) return prefixed[0];
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}
