// The quick start's promise, "edit gateway.yaml and the controller applies the change", kept the way people edit:
// `switchyard controller` on a copy of the bundled example (its ports moved to free ones) with a local Envoy, and the
// file saved again and again by writing a new file and renaming it over the old one (`sed -i`, an editor's safe
// write). Each save is served through Envoy; a save that breaks the route says so in one warning line naming the
// file, the object and the reason, the next save that fixes it says it works again; a save that is not YAML at all
// is named and keeps what was served.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ControllerProcess, spawnController } from '../harness/controller-process.ts';
import type { EchoServer } from '../harness/echo/index.ts';
import { startHttpEcho } from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { provisionEnvoy } from '../provision/envoy.ts';

const EXAMPLE = new URL('../../examples/quickstart/gateway.yaml', import.meta.url);

let dir: string;
let file: string;
let example: string;
let gatewayPort: number;
let backend: EchoServer;
let controller: ControllerProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-edit-'));
  file = join(dir, 'gateway.yaml');
  backend = await startHttpEcho('quickstart-echo');
  gatewayPort = await freePort();
  example = readFileSync(EXAMPLE, 'utf8')
    .replace('port: 8080', `port: ${gatewayPort}`)
    .replaceAll('port: 9000', `port: ${backend.port}`);
  expect(example).not.toContain('9000');
  writeFileSync(file, example);
  controller = spawnController([`--files=${dir}`, `--local-envoy=${await provisionEnvoy()}`]);
  await controller.logged((entry) => entry.msg === 'switchyard controller started');
});

afterAll(async () => {
  await controller?.stop();
  await backend?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

let saves = 0;
/** Saves as `sed -i` does: the new text in a file beside it, renamed over it. */
function save(text: string): void {
  const temp = join(dir, `sed${++saves}`);
  writeFileSync(temp, text);
  renameSync(temp, file);
}

/** The status of a request through Envoy, and which backend answered. */
async function get(path: string): Promise<{ status: number; backend?: string } | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${gatewayPort}${path}`, {
      signal: AbortSignal.timeout(2_000),
    });
    const text = await response.text();
    return {
      status: response.status,
      ...(response.status === 200 ? { backend: JSON.parse(text).backend } : {}),
    };
  } catch {
    return undefined; // Envoy not listening yet
  }
}

/** Waits until a request to `path` answers `status`; fails naming what it answered instead. */
async function answers(path: string, status: number): Promise<void> {
  let last: Awaited<ReturnType<typeof get>>;
  for (let attempt = 0; attempt < 600; attempt++) {
    last = await get(path);
    if (last?.status === status) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${path} answered ${JSON.stringify(last)}, not ${status}\n${controller.stderr()}`);
}

it('serves every save of gateway.yaml, says which save broke the route and why, and when it works again', async () => {
  await answers('/echo', 200);
  expect(await get('/echo')).toEqual({ status: 200, backend: 'quickstart-echo' });

  // Saved four times over by rename: each save is served (Node's recursive watcher saw only the first).
  for (const path of ['/one', '/two', '/three', '/four']) {
    save(example.replace('value: /echo', `value: ${path}`));
    await answers(path, 200);
    await answers('/echo', 404);
  }

  // A save naming a Service that does not exist: one warning naming the file and line, the route and the reason.
  save(example.replace('- name: echo', '- name: echo-typo'));
  const broken = await controller.logged((entry) => entry.works === false);
  const routeLine = example.split('\n').indexOf('kind: HTTPRoute'); // the document starts a line above
  expect(broken).toMatchObject({
    level: 40,
    object: 'HTTPRoute default/echo',
    origin: `${file}:${routeLine}`,
  });
  expect(String(broken.msg)).toMatch(
    new RegExp(
      `^${file}:${routeLine}: HTTPRoute default/echo: parent quickstart: ResolvedRefs False BackendNotFound: `,
    ),
  );
  expect(broken.msg).toContain('echo-typo');
  await answers('/echo', 500);

  // The next save fixes it: said once, served again.
  save(example);
  const fixed = await controller.logged((entry) => entry.works === true);
  expect(fixed).toMatchObject({
    level: 30,
    object: 'HTTPRoute default/echo',
    msg: `${file}:${routeLine}: HTTPRoute default/echo works again`,
  });
  await answers('/echo', 200);

  // A save that is not YAML: named with its line, and what was served stays served.
  save(example.replace('value: /echo', 'value: /echo\n   broken: ['));
  const refused = await controller.logged((entry) => String(entry.msg).includes('not valid YAML'));
  expect(refused).toMatchObject({ level: 40 });
  expect(String(refused.msg)).toMatch(new RegExp(`^${file}:\\d+: not valid YAML`));
  expect(await get('/echo')).toEqual({ status: 200, backend: 'quickstart-echo' });
  // Only the broken route and the YAML said anything above info.
  const warnings = controller.logs.filter((entry) => Number(entry.level) >= 40).map((entry) => entry.msg);
  expect(warnings).toEqual([broken.msg, refused.msg]);
});
