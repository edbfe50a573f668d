import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type OptionTable, parseAddress, parseCommand, UsageError } from './options.ts';

const table: OptionTable = {
  'log-level': { kind: 'enum', values: ['debug', 'info'], default: 'info', description: 'level' },
  'shutdown-timeout': { kind: 'integer', min: 1, max: 28, default: 20, description: 'seconds' },
  'http-address': { kind: 'address', default: '127.0.0.1:8081', description: 'address' },
  files: { kind: 'string', description: 'dir' },
  verbose: { kind: 'boolean', default: false, description: 'more output' },
};

function configFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'switchyard-cli-')), 'config.yaml');
  writeFileSync(path, text);
  return path;
}

describe('parseCommand', () => {
  it('takes flags over environment over config file over defaults', () => {
    const config = configFile('logLevel: debug\nshutdownTimeout: 5\nfiles: from-config\n');
    const env = { SWITCHYARD_SHUTDOWN_TIMEOUT: '7', SWITCHYARD_FILES: 'from-env' };
    const parsed = parseCommand(table, ['--config', config, '--files', 'from-flag'], env);
    expect(parsed.values).toMatchObject({
      files: 'from-flag',
      'shutdown-timeout': 7,
      'log-level': 'debug',
      'http-address': '127.0.0.1:8081',
      verbose: false,
    });
    expect(parsed.sources).toMatchObject({
      files: 'flag',
      'shutdown-timeout': 'env',
      'log-level': 'config',
      'http-address': 'default',
    });
  });

  it('names the flag, variable or config key of a bad value', () => {
    expect(() => parseCommand(table, ['--shutdown-timeout', '30'], {})).toThrow(
      '--shutdown-timeout: invalid value "30"',
    );
    expect(() => parseCommand(table, [], { SWITCHYARD_LOG_LEVEL: 'loud' })).toThrow(
      'SWITCHYARD_LOG_LEVEL: invalid value "loud"; expected one of debug, info',
    );
    const config = configFile('httpAddress: nowhere\n');
    expect(() => parseCommand(table, ['--config', config], {})).toThrow(`httpAddress in ${config}`);
    expect(() => parseCommand(table, ['--config', configFile('colour: blue\n')], {})).toThrow(
      'unknown setting "colour"',
    );
  });

  it('rejects unknown flags with a UsageError naming them', () => {
    expect(() => parseCommand(table, ['--frobnicate'], {})).toThrow(UsageError);
    expect(() => parseCommand(table, ['--frobnicate'], {})).toThrow('unknown flag --frobnicate');
  });

  it('parses addresses of every form', () => {
    expect(parseAddress('127.0.0.1:8081')).toEqual({ host: '127.0.0.1', port: 8081 });
    expect(parseAddress('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseAddress(':80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(() => parseAddress('localhost')).toThrow(UsageError);
    expect(() => parseAddress('a:70000')).toThrow(UsageError);
  });
});
