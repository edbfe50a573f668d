// The README's first command, end to end: `npm start` runs the example backend and the controller on the
// bundled manifests, which runs a local Envoy for the Gateway; a request through Envoy reaches the backend, the
// Gateway reports Programmed=True once Envoy has accepted the configuration, and a killed Envoy comes back.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { parse } from 'yaml';
import { provisionEnvoy } from '../provision/envoy.ts';

const script = fileURLToPath(new URL('../../examples/quickstart/run.ts', import.meta.url));
let child: ChildProcess | undefined;

afterEach(async () => {
  if (child !== undefined && child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});

async function getEcho(): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
  try {
    const response = await fetch('http://127.0.0.1:8080/echo/quickstart', {
      signal: AbortSignal.timeout(2_000),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

it('npm start serves the bundled example through a supervised local Envoy and reports the Gateway programmed', async () => {
  const envoy = await provisionEnvoy();
  const statusDir = mkdtempSync(join(tmpdir(), 'switchyard-quickstart-status-'));
  child = spawn(
    process.execPath,
    [script, '--http-address', '127.0.0.1:0', '--inspector', 'off', '--status-dir', statusDir],
    {
      env: { ...process.env, SWITCHYARD_ENVOY: envoy },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let output = '';
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  let answer: Awaited<ReturnType<typeof getEcho>>;
  for (let attempt = 0; attempt < 100 && answer?.status !== 200; attempt++) {
    answer = await getEcho();
    if (answer?.status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(answer, output).toMatchObject({
    status: 200,
    body: { backend: 'quickstart-echo', path: '/echo/quickstart' },
  });

  const programmed = () => {
    try {
      const gateway = parse(readFileSync(join(statusDir, 'Gateway', 'default', 'quickstart.yaml'), 'utf8'));
      return gateway.status.conditions.find((c: { type: string }) => c.type === 'Programmed');
    } catch {
      return undefined;
    }
  };
  for (let attempt = 0; attempt < 50 && programmed()?.status !== 'True'; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(programmed()).toMatchObject({ status: 'True', reason: 'Programmed' });
  // The controller supervises its local Envoy: killed, it is started again and traffic flows again.
  const startedPids = () =>
    output
      .split('\n')
      .filter((line) => line.includes('"msg":"local envoy started"'))
      .map((line) => (JSON.parse(line) as { pid: number }).pid);
  const [firstPid] = startedPids();
  expect(firstPid, output).toBeGreaterThan(0);
  process.kill(firstPid!, 'SIGKILL');
  for (let attempt = 0; attempt < 100 && startedPids().length < 2; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(startedPids(), output).toHaveLength(2);
  answer = undefined;
  for (let attempt = 0; attempt < 100 && answer?.status !== 200; attempt++) {
    answer = await getEcho();
    if (answer?.status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(answer, output).toMatchObject({ status: 200, body: { backend: 'quickstart-echo' } });

  const route = parse(readFileSync(join(statusDir, 'HTTPRoute', 'default', 'echo.yaml'), 'utf8'));
  expect(
    route.status.parents[0].conditions.map((c: { type: string; status: string }) => [c.type, c.status]),
  ).toEqual([
    ['Accepted', 'True'],
    ['ResolvedRefs', 'True'],
  ]);
});
