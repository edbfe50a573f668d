// `switchyard controller --files --crds` as users run it, with a local Envoy serving the quick start: a save the
// CRDs refuse (a CEL rule, an immutable field changed) is named in one warning with file, line, object, field and
// the rule's message, and what was served stays served, as a refused `kubectl apply` changes nothing; the next good
// save is served.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ControllerProcess, spawnController } from '../harness/controller-process.ts';
import { type EchoServer, startHttpEcho } from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { provisionEnvoy } from '../provision/envoy.ts';
import { provisionUpstreamCrdFiles } from '../provision/gateway-api-crds.ts';

const EXAMPLE = new URL('../../examples/quickstart/gateway.yaml', import.meta.url);

let dir: string;
let file: string;
let example: string;
let gatewayPort: number;
let backend: EchoServer;
let controller: ControllerProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-crds-controller-'));
  file = join(dir, 'gateway.yaml');
  backend = await startHttpEcho('crds-echo');
  gatewayPort = await freePort();
  example = readFileSync(EXAMPLE, 'utf8')
    .replace('port: 8080', `port: ${gatewayPort}`)
    .replaceAll('port: 9000', `port: ${backend.port}`);
  writeFileSync(file, example);
  const crds = (await provisionUpstreamCrdFiles()).map((crd) => `--crds=${crd}`);
  controller = spawnController([`--files=${dir}`, `--local-envoy=${await provisionEnvoy()}`, ...crds]);
  await controller.logged((entry) => entry.msg === 'switchyard controller started');
});

afterAll(async () => {
  await controller?.stop();
  await backend?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** Saves as an editor's safe write does: the new text beside the file, renamed over it. */
function save(text: string): void {
  const temp = join(dir, '.save');
  writeFileSync(temp, text);
  renameSync(temp, file);
}

async function status(path: string): Promise<number | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${gatewayPort}${path}`, {
      signal: AbortSignal.timeout(2_000),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return undefined; // Envoy not listening yet
  }
}

/** Waits until a request to `path` answers `expected` (the controller and Envoy apply a save in their time). */
async function answers(path: string, expected: number): Promise<void> {
  let last: number | undefined;
  for (let attempt = 0; attempt < 600; attempt++) {
    last = await status(path);
    if (last === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${path} answered ${last}, not ${expected}\n${controller.stderr()}`);
}

it('names a save the CRDs refuse and keeps serving what was in force; serves the next good save', async () => {
  await answers('/echo', 200);
  const lines = example.split('\n');
  const routeLine = lines.indexOf('kind: HTTPRoute'); // the document starts a line above
  const classLine = lines.indexOf('kind: GatewayClass');

  // A rewrite of the matched prefix needs the rule to match one path prefix: the CRD's CEL rule refuses Exact.
  save(
    example
      .replace('type: PathPrefix', 'type: Exact')
      .replace('value: /echo', 'value: /moved')
      .replace(
        '      backendRefs:',
        '      filters:\n        - type: URLRewrite\n          urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}\n      backendRefs:',
      ),
  );
  const refused = await controller.logged((entry) => String(entry.msg).startsWith('rejected: HTTPRoute'));
  expect(refused).toMatchObject({
    level: 40,
    origin: `${file}:${routeLine}`,
    msg: 'rejected: HTTPRoute default/echo: spec.rules[0]: Invalid value: When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified',
  });
  expect(await status('/echo')).toBe(200);
  expect(await status('/moved')).toBe(404);

  // GatewayClass's controllerName is immutable: a save that changes it is an update the API server refuses.
  save(example.replace('value: /echo', 'value: /moved').replace('gateway-controller', 'other-controller'));
  const immutable = await controller.logged((entry) =>
    String(entry.msg).startsWith('rejected: GatewayClass'),
  );
  expect(immutable).toMatchObject({
    level: 40,
    origin: `${file}:${classLine}`,
    msg: 'rejected: GatewayClass switchyard: spec.controllerName: Invalid value: Value is immutable',
  });
  // The rest of that save applies: the route moved, still under our class.
  await answers('/moved', 200);
  await answers('/echo', 404);

  save(example);
  await answers('/echo', 200);
  await answers('/moved', 404);
});
