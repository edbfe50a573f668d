// Every command's --help names every flag with its environment variable, and no variable means two things: the
// controller reads SWITCHYARD_<FLAG>, every other command SWITCHYARD_<COMMAND>_<FLAG>.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { envName, envPrefix, parseCommand } from './options.ts';
import { loadCommands, main } from './switchyard.ts';

const commands = await loadCommands();

/**
 * One name on purpose: the file the controller writes (`--extproc-config`, `--mcp-config`) is the one the data plane
 * reads (`extproc --config`, `mcp --config`).
 */
const SHARED: Readonly<Record<string, readonly string[]>> = {
  SWITCHYARD_EXTPROC_CONFIG: ['controller --extproc-config', 'extproc --config'],
  SWITCHYARD_MCP_CONFIG: ['controller --mcp-config', 'mcp --config'],
};

async function help(command: string): Promise<string> {
  let out = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      out += String(chunk);
      done();
    },
  });
  const code = await main([command, '--help'], {
    stdout: sink,
    stderr: sink,
    env: {},
    stopRequested: new Promise(() => {}),
  });
  expect(code, out).toBe(0);
  return out;
}

/** The rows under "Options:", one per flag (a flag too long for the column has its description on the next line). */
function optionLines(help: string): string[] {
  const rows: string[] = [];
  for (const line of help.split('\n')) {
    if (/^ {2}(-\w, | {4})--/.test(line)) rows.push(line);
    else if (/^ {37}\S/.test(line) && rows.length > 0) rows[rows.length - 1] += ` ${line.trim()}`;
  }
  return rows;
}

describe('--help', () => {
  it('starts every flag’s description in one column, on the next line when the flag is longer', async () => {
    for (const command of commands) {
      const lines = (await help(command.name)).split('\n');
      const options = lines.slice(lines.indexOf('Options:') + 1).filter((line) => line !== '');
      for (const [index, line] of options.entries()) {
        const flagRow = (row: string | undefined) => /^ {2}(-\w, | {4})--/.test(row ?? '');
        // A row that is only its flag: longer than the column, no gap before a description.
        const flagOnly = (row: string | undefined) => flagRow(row) && !/\S {2,}\S/.test(row!.slice(6));
        const beside = flagRow(line) && line[36] === ' ' && line[37] !== ' ';
        const under = /^ {37}\S/.test(line) && flagOnly(options[index - 1]);
        expect(
          beside || under || (flagOnly(line) && /^ {37}\S/.test(options[index + 1] ?? '')),
          `${command.name} --help: ${line}`,
        ).toBe(true);
      }
    }
  });
});

describe('environment variables', () => {
  it('--help of every command names each of its flags with the variable that sets it', async () => {
    for (const command of commands) {
      const text = await help(command.name);
      const prefix = envPrefix(command.name);
      const flags = [...Object.keys(command.options), ...('config' in command.options ? [] : ['config'])];
      for (const flag of flags) {
        const line = optionLines(text).find((l) => new RegExp(`--${flag}(\\s|$)`).test(l));
        expect(line, `${command.name} --help has no line for --${flag}`).toBeDefined();
        expect(line).toContain(`env: ${envName(flag, prefix)}`);
      }
    }
  });

  it('gives every variable one meaning across all commands', async () => {
    const readers = new Map<string, string[]>();
    for (const command of commands) {
      const text = await help(command.name);
      for (const line of optionLines(text)) {
        const variable = /env: (SWITCHYARD_[A-Z0-9_]+)/.exec(line)?.[1];
        const flag = /--([a-z0-9-]+)/.exec(line)?.[1];
        if (variable === undefined || flag === undefined) continue;
        readers.set(variable, [...(readers.get(variable) ?? []), `${command.name} --${flag}`]);
      }
    }
    expect(readers.size).toBeGreaterThan(40);
    const shared = [...readers].filter(([, where]) => where.length > 1);
    expect(Object.fromEntries(shared)).toEqual(SHARED);
  });

  it("a controller variable does not reach another command: extproc's probes and settings stay its own", () => {
    const extproc = commands.find((c) => c.name === 'extproc')!;
    const controllerEnv = {
      SWITCHYARD_HTTP_ADDRESS: '127.0.0.1:8081',
      SWITCHYARD_CONFIG: '/no/such/file.yaml',
    };
    const parsed = parseCommand(extproc.options, [], controllerEnv, envPrefix('extproc'));
    expect(parsed.values['http-address']).toBeUndefined();
    expect(parsed.values.config).toBeUndefined();
    const own = parseCommand(
      extproc.options,
      [],
      { SWITCHYARD_EXTPROC_HTTP_ADDRESS: '127.0.0.1:9090', SWITCHYARD_EXTPROC_CONFIG: '/etc/extproc.yaml' },
      envPrefix('extproc'),
    );
    expect(own.values).toMatchObject({ 'http-address': '127.0.0.1:9090', config: '/etc/extproc.yaml' });
  });

  it("the controller's settings file in SWITCHYARD_CONFIG does not break translate", () => {
    const settings = join(mkdtempSync(join(tmpdir(), 'switchyard-env-')), 'controller.yaml');
    writeFileSync(settings, 'logLevel: debug\nxdsAddress: 127.0.0.1:18000\n');
    const translate = commands.find((c) => c.name === 'translate')!;
    const parsed = parseCommand(
      translate.options,
      ['-f', 'gateway.yaml'],
      { SWITCHYARD_CONFIG: settings },
      envPrefix('translate'),
    );
    expect(parsed.values.filename).toEqual(['gateway.yaml']);
    const controller = commands.find((c) => c.name === 'controller')!;
    expect(
      parseCommand(controller.options, [], { SWITCHYARD_CONFIG: settings }, envPrefix('controller')).values[
        'log-level'
      ],
    ).toBe('debug');
  });
});
