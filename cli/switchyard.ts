#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { type Command, CommandError, type CommandIO, Interrupted } from './command.ts';
import { closestName, envPrefix, formatOptions, parseCommand, UsageError } from './options.ts';

// A command's module (and all it imports) loads only when that command runs: `translate` on ten routes does not
// pay for the controller's gRPC, OpenTelemetry and Kubernetes client or the MCP SDK (bench/translate.startup).
const COMMAND_MODULES: Readonly<Record<string, () => Promise<Command>>> = {
  controller: async () => (await import('./controller.ts')).controllerCommand,
  translate: async () => (await import('./translate.ts')).translateCommand,
  'envoy-bootstrap': async () => (await import('./envoy-bootstrap.ts')).envoyBootstrapCommand,
  'agentgateway-config': async () => (await import('./agentgateway-config.ts')).agentgatewayConfigCommand,
  replay: async () => (await import('./replay.ts')).replayCommand,
  extproc: async () => (await import('./extproc.ts')).extprocCommand,
  mcp: async () => (await import('./mcp.ts')).mcpCommand,
  'fetch-crds': async () => (await import('./fetch-crds.ts')).fetchCrdsCommand,
};

export const commandNames: readonly string[] = Object.keys(COMMAND_MODULES);

/** Every command, loaded (for the main help and for tests over all of them). */
export async function loadCommands(): Promise<readonly Command[]> {
  return Promise.all(commandNames.map((name) => loadCommand(name)!));
}

function loadCommand(name: string): Promise<Command> | undefined {
  return Object.hasOwn(COMMAND_MODULES, name) ? COMMAND_MODULES[name]!() : undefined;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function mainHelp(): Promise<string> {
  const loaded = await loadCommands();
  const width = Math.max(...loaded.map((c) => c.name.length)) + 2;
  const rows = loaded.map((c) => `  ${c.name.padEnd(width)} ${c.summary}`).join('\n');
  return `switchyard ${version()} — a Kubernetes Gateway API control plane built as actors

Usage: switchyard <command> [options]

Commands:
${rows}

Run "switchyard <command> --help" for a command's options and their environment variables.
Settings: flags > environment variables > --config file > defaults. The controller reads SWITCHYARD_<FLAG>;
every other command SWITCHYARD_<COMMAND>_<FLAG> (e.g. SWITCHYARD_EXTPROC_HTTP_ADDRESS).
`;
}

function commandHelp(command: Command): string {
  return `${command.summary}

Usage: ${command.usage}

Options:
${formatOptions(command.options, envPrefix(command.name))}
`;
}

/** Exit status of a process whose command never finished (EX_SOFTWARE): an internal error. */
export const UNFINISHED_EXIT_CODE = 70;

/** Runs the CLI; returns the exit code (2 for usage errors). */
export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(await mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${version()}\n`);
    return 0;
  }
  const loading = loadCommand(name);
  if (loading === undefined) {
    const meant = closestName(name, commandNames);
    io.stderr.write(
      `switchyard: unknown command "${name}"${meant === undefined ? '' : ` (did you mean "${meant}"?)`}; commands: ${commandNames.join(', ')}\n`,
    );
    return 2;
  }
  const command = await loading;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(commandHelp(command));
    return 0;
  }
  let stopping = false;
  void io.stopRequested.then(() => {
    stopping = true;
  });
  try {
    const parsed = parseCommand(command.options, rest, io.env, envPrefix(command.name));
    const run = command.run(parsed, io);
    if (command.endsOnStop?.(parsed) !== true) return await run;
    return await Promise.race([
      run,
      io.stopRequested.then((signal) => {
        throw new Interrupted(signal, '');
      }),
    ]);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`switchyard ${command.name}: ${error.message}\n`);
      return 2;
    }
    if (error instanceof Interrupted) {
      io.stderr.write(`switchyard ${command.name}: ${error.message}\n`);
      return 128 + (error.signal === 'SIGINT' ? 2 : 15);
    }
    // What the machine or the network refused (a system error), or anything that goes wrong while stopping, is a
    // line, not a stack trace; a stack is kept for what can only be a bug.
    if (
      error instanceof CommandError ||
      stopping ||
      typeof (error as NodeJS.ErrnoException).code === 'string'
    ) {
      io.stderr.write(`switchyard ${command.name}: ${(error as Error).message}\n`);
      return 1;
    }
    throw error;
  }
}

/**
 * Exits once stdout and stderr have written what they hold: into a pipe (`translate | less`, CI capturing output)
 * Node writes asynchronously, and `process.exit` drops what is still queued — a large output ended at 64 KiB, with
 * no summary line.
 */
function exitWhenWritten(code: number): void {
  let pending = 2;
  const written = () => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  // A write's callback runs once it and everything queued before it is written (or the stream failed).
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.writableLength === 0 || stream.destroyed || stream.writableEnded) written();
    else stream.write('', () => written());
  }
}

function processIO(): CommandIO {
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      resolve(signal);
      // A second signal, or a drain that overruns, must not keep the process alive past the grace period.
      setTimeout(() => process.exit(1), 29_000).unref();
      process.once(signal, () => process.exit(1));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, stopRequested };
}

/** Runs the command line of this process and exits with its status. */
export function runAsProcess(): void {
  // Node keeps what it made of each module (the TypeScript stripped, V8's compiled code) in the user's cache, so a
  // command run again loads its modules from there (bench/translate.startup). Before any command module loads;
  // NODE_COMPILE_CACHE=<dir> chooses another place, NODE_DISABLE_COMPILE_CACHE=1 turns it off, and where the cache
  // cannot be written (a read-only image) it is off. The installed `switchyard` (cli/switchyard.mjs) turned it on
  // already, before this file loaded; then this does nothing.
  enableCompileCache(
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'switchyard', 'node-compile-cache'),
  );
  // Also when started without the image's flags (npx, npm start): V8's allocation-site pretenuring would move
  // each request's short-lived objects straight into the old generation once the process is busy
  // (docs/operations.md, "V8 flags"). V8 reads this flag at every GC, so setting it now takes effect.
  setFlagsFromString('--no-allocation-site-pretenuring');
  // A command left waiting on something nothing will deliver lets the event loop drain, and Node would end the
  // process with status 0 and no output. It ends with 70 (EX_SOFTWARE) and says so instead.
  process.exitCode = UNFINISHED_EXIT_CODE;
  process.once('exit', (code) => {
    if (code === UNFINISHED_EXIT_CODE)
      process.stderr.write(
        `switchyard: the command stopped before finishing (nothing left to wait for); this is a bug\n`,
      );
  });
  main(process.argv.slice(2), processIO()).then(
    (code) => exitWhenWritten(code),
    (error: unknown) => {
      process.stderr.write(
        `switchyard: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      exitWhenWritten(1);
    },
  );
}

if (import.meta.main) runAsProcess();
