// Every view of the inspector as a user opens it: a `switchyard controller` process on a directory of YAML with a
// local Envoy per Gateway (one serving traffic, one whose listener port is taken so Envoy refuses it), an object of a
// kind Switchyard ignores and a route defined twice. Each view is checked and photographed at 1400×900 and at a
// phone's width, with no console error and nothing running off the page; the first screen says it is loading.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGateway, localService } from '../../cli/testdata/manifests.ts';
import { type EchoServer, startHttpEcho } from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { provisionEnvoy } from '../provision/envoy.ts';
import { ARTIFACTS, inspectorBrowser, view } from './inspector-browser.ts';

const CLI = new URL('../../cli/switchyard.ts', import.meta.url).pathname;
const VIEWPORTS = [
  { name: 'wide', width: 1400, height: 900 },
  { name: 'narrow', width: 420, height: 900 },
] as const;

const { openPage } = inspectorBrowser();
/** What lives for the whole file: the controller, its manifests, the echo backend, the taken port. */
const teardown: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const step of teardown.splice(0).reverse()) await step();
});

function manifests(webPort: number, takenPort: number, echo: EchoServer): Record<string, string> {
  const route = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: apps}
spec:
  parentRefs: [{name: web}]
  rules: [{backendRefs: [{name: web, port: 8080}]}]
`;
  return {
    'gateways.yaml': `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: switchyard}
spec: {controllerName: switchyard.dev/gateway-controller}
---
${httpGateway('web', 'switchyard', webPort)}---
${httpGateway('broken', 'switchyard', takenPort)}---
${route}---
${localService('web', 8080, echo.port)}`,
    // A second definition of the same route, and an object of a kind no controller reads: problems about objects.
    'extras.yaml': `${route}---
apiVersion: widgets.example.com/v1
kind: Widget
metadata: {name: gadget, namespace: apps}
spec: {size: 3}
`,
  };
}

interface Controller {
  readonly inspector: string;
  readonly output: () => string;
}

/** `switchyard controller` with a local Envoy, as a user starts it; resolves once it says where its inspector is. */
async function startController(dir: string): Promise<Controller> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      CLI,
      'controller',
      '--files',
      dir,
      '--local-envoy',
      await provisionEnvoy(),
      '--xds-address',
      '127.0.0.1:0',
      '--inspector',
      '127.0.0.1:0',
      '--http-address',
      '127.0.0.1:0',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  teardown.push(() => {
    child.kill('SIGTERM');
  });
  let output = '';
  const started = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      output += `${line}\n`;
      if (line.includes('"msg":"switchyard controller started"')) resolve(JSON.parse(line).inspector);
    });
    child.once('exit', (code) => reject(new Error(`the controller exited (${code}):\n${output}`)));
  });
  return { inspector: await started, output: () => output };
}

async function servesTraffic(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

/** Nothing wider than the window: whatever is wide scrolls inside its own box. */
function pageOverflow(page: Page): Promise<number> {
  return page.locator('html').evaluate((html) => html.scrollWidth - html.clientWidth);
}

describe('inspector views', () => {
  let controller: Controller;
  let webPort: number;
  let taken: Server;

  beforeAll(async () => {
    const echo = await startHttpEcho('web');
    webPort = await freePort();
    // Envoy cannot bind a port another process holds: it NACKs that Gateway's listener.
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
    const takenPort = (taken.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-inspector-views-'));
    for (const [file, text] of Object.entries(manifests(webPort, takenPort, echo)))
      writeFileSync(join(dir, file), text);
    controller = await startController(dir);
    teardown.push(async () => {
      rmSync(dir, { recursive: true, force: true });
      taken.close();
      await echo.close();
    });
    for (let attempt = 0; attempt < 150 && !(await servesTraffic(webPort)); attempt++)
      await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await servesTraffic(webPort), controller.output()).toBe(true);
  }, 120_000);

  for (const viewport of VIEWPORTS) {
    it(`shows every view ${viewport.name} (${viewport.width}×${viewport.height})`, async () => {
      const shot = (name: string) =>
        page.screenshot({ path: join(ARTIFACTS, `views-${viewport.name}-${name}.png`), fullPage: true });
      const { page, errors } = await openPage(controller.inspector, { viewport });

      // Actors, and a clock that reads as a time: wall time and the plane's logical time.
      await page.locator('#actors tr[data-actor="backend.envoy"]').waitFor();
      await expect
        .poll(() => page.locator('#clock').textContent())
        .toMatch(/^wall \d\d:\d\d:\d\d · logical \d\d:\d\d:\d\d\.\d{3}$/);
      expect(await page.locator('#connection').isHidden()).toBe(true);
      expect(await pageOverflow(page)).toBeLessThanOrEqual(0);
      await shot('actors');

      // The message flow of a dozen actors: every arrow inside the diagram, which fits or scrolls in its box.
      await view(page, 'flow');
      await page.locator('#flow-diagram g.step[data-type="write-status"]').first().waitFor();
      const diagram = await page.locator('#flow-diagram').evaluate((box) => {
        const svgs = box.querySelectorAll('svg');
        const body = svgs[svgs.length - 1]!;
        const width = Number(body.getAttribute('width'));
        const ends = [...body.querySelectorAll('g.step line, g.step path')].map((arrow) =>
          arrow.tagName === 'line'
            ? Number(arrow.getAttribute('x2'))
            : (arrow as unknown as { getBBox(): { x: number } }).getBBox().x,
        );
        return {
          columns: box.querySelectorAll('.flow-head g.head').length,
          width,
          farthest: Math.max(...ends),
          scrolls: box.scrollWidth > box.clientWidth,
          boxRight: box.getBoundingClientRect().right,
        };
      });
      expect(diagram.columns).toBeGreaterThanOrEqual(8);
      expect(diagram.farthest).toBeLessThan(diagram.width);
      expect(diagram.boxRight).toBeLessThanOrEqual(viewport.width);
      if (viewport.name === 'narrow') expect(diagram.scrolls).toBe(true);
      expect(await pageOverflow(page)).toBeLessThanOrEqual(0);
      // Each step names its logical time in the gutter.
      expect(await page.locator('#flow-diagram text.gutter').nth(1).textContent()).toMatch(
        /^\d\d:\d\d:\d\d\.\d{3}$/,
      );
      await shot('flow');

      // Problems on the objects they concern: the route defined twice, the Widget nothing reads.
      await view(page, 'resources');
      const widget = page.locator('#resources tr[data-kind="Widget"][data-name="gadget"]');
      await widget.waitFor();
      expect(await widget.getAttribute('data-problem-only')).toBe('true');
      expect(await widget.locator('.problem').textContent()).toContain(
        'kind Widget is not one Switchyard reads; ignored',
      );
      const route = page.locator('#resources tr[data-kind="HTTPRoute"][data-name="web"]');
      expect(await route.locator('.problem').textContent()).toMatch(
        /is defined in .*extras.yaml.*gateways.yaml/,
      );
      expect(await route.locator('.cond').allTextContents()).toContain('Accepted=True');
      await route.click();
      expect(await page.locator('#resource-title').textContent()).toBe('HTTPRoute apps/web');
      expect(await page.locator('#resource-problems').textContent()).toContain(
        'the last file in path order wins',
      );
      expect(await page.locator('#problems-box').isHidden()).toBe(true);
      expect(await pageOverflow(page)).toBeLessThanOrEqual(0);
      await shot('resources');

      // The data plane: a table per Gateway's proxies — connected, ACKed revision, NACK text, resources by type.
      await view(page, 'dataplane');
      const web = page.locator('#gateways .gateway[data-gateway="apps/web"]');
      const webProxy = web.locator('table.proxies tbody tr');
      await webProxy.locator('td.ack').waitFor();
      const cells = await webProxy.locator('td').allTextContents();
      expect(cells[1]).toBe('yes (delta)');
      expect(cells[2]).toMatch(/^\d+ \(latest\)$/);
      expect(cells[3]).toBe('–');
      expect(cells[4]).toBe('Listener 1 · RouteConfiguration 1 · Cluster 1 · ClusterLoadAssignment 1');
      expect(await web.locator('.served').textContent()).toBe(
        'Serves Listener 1 · RouteConfiguration 1 · Cluster 1 · ClusterLoadAssignment 1.',
      );
      expect(await web.locator('.cond').textContent()).toMatch(/^Programmed=True/);
      const broken = page.locator('#gateways .gateway[data-gateway="apps/broken"]');
      // The backend finds that Envoy refuses the only listener (docs/envoy-backend.md, "What Envoy refuses"),
      // drops it, and the Gateway is not programmed, saying why in Envoy's words.
      await broken.locator('.cond.False').waitFor({ timeout: 30_000 });
      expect(await broken.locator('.cond').textContent()).toMatch(/^Programmed=False/);
      expect(await broken.locator('.cond').getAttribute('title')).toMatch(
        /refused every listener .*cannot bind .*Address already in use/s,
      );
      // It holds nothing: Envoy refused the only listener.
      expect(await broken.locator('table.proxies tbody tr td').nth(4).textContent()).toBe('none');
      expect(await pageOverflow(page)).toBeLessThanOrEqual(0);
      await shot('dataplane');

      expect(errors).toEqual([]);
    }, 120_000);
  }

  it('says it is loading until the first data arrives, then shows it', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { page, errors } = await openPage(controller.inspector, {
      waitReady: false,
      beforeLoad: async (page) => {
        await page.route('**/api/system', async (route) => {
          await held;
          await route.continue();
        });
      },
    });
    const notice = page.locator('#connection');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('Loading');
    expect(await page.locator('#actors tbody').textContent()).toContain('Loading actors');
    await page.screenshot({ path: join(ARTIFACTS, 'views-loading.png') });
    release();
    await page.waitForSelector('body[data-ready="true"]');
    await page.locator('#actors tr[data-actor="backend.envoy"]').waitFor();
    expect(await notice.isHidden()).toBe(true);
    expect(errors).toEqual([]);
  });
});
