// The inspector in a real browser (Debian's Chromium through playwright-core): on a running standalone pipeline,
// and on a recorded log scrubbed back to before a Gateway was programmed. Screenshots go to test-artifacts/.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { type ControlPlane, createControlPlane } from '../../cli/control-plane.ts';
import { edgeWithRoute } from '../../cli/testdata/manifests.ts';
import { type Inspector, startInspector } from '../../inspector/InspectorServer.ts';
import { inspectDriver, inspectPlane, ReplayDriver } from '../../replay/driver.ts';
import { createLogger } from '../../runtime/logger.ts';
import { ARTIFACTS, inspectorBrowser, view } from './inspector-browser.ts';

const root = join(import.meta.dirname, '..', '..');
const artifacts = ARTIFACTS;
const PLANTED = 'planted-inspector-secret-4d1c';

const manifests = `${edgeWithRoute()}---
apiVersion: v1
kind: Secret
metadata: {name: credentials, namespace: apps}
stringData: {password: ${PLANTED}}
data: {token: ${Buffer.from(PLANTED).toString('base64')}}
`;

const addedRoute = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api, namespace: apps}
spec:
  parentRefs: [{name: edge}]
  rules: [{matches: [{path: {type: PathPrefix, value: /api}}], backendRefs: [{name: api, port: 8080}]}]
`;

const { openPage, cleanups } = inspectorBrowser();

function conditionBadges(page: Page, kind: string, name: string) {
  return page.locator(`#resources tr[data-kind="${kind}"][data-name="${name}"] .cond`).allTextContents();
}

describe('inspector on a running standalone pipeline', () => {
  it('shows the actors, the flow a manifest change causes and the resulting status — and no Secret data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-inspector-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'config.yaml'), manifests);
    const plane: ControlPlane = createControlPlane({
      logger: createLogger({ level: 'silent' }),
      files: { paths: [dir], watch: true },
      flushDelayMs: 20,
    });
    const inspector: Inspector = await startInspector({
      system: plane.system,
      ...inspectPlane(() => plane),
      address: '127.0.0.1:0',
      tickMs: 200,
    });
    cleanups.push(async () => {
      await inspector.close();
      plane.close();
      await plane.system.stop(5_000);
    });
    plane.system.start();
    await plane.system.whenReady();

    const { page, errors } = await openPage(inspector.url);
    await page.waitForSelector('#actors tr[data-actor="source.files"]');
    // Locators, not waitForFunction: the page's CSP forbids the eval that polling functions need.
    await page.locator('#actors tr[data-actor="source.files"]', { hasText: 'watching' }).waitFor();
    await page.screenshot({ path: join(artifacts, 'live-actors.png'), fullPage: true });

    await view(page, 'resources');
    await page.waitForSelector('#resources tr[data-kind="HTTPRoute"][data-name="web"] .cond');
    expect(await conditionBadges(page, 'HTTPRoute', 'web')).toContain('Accepted=True');

    // A change to the manifests: the watcher sees it, the flow shows it, the new route gets its status.
    writeFileSync(join(dir, 'api.yaml'), addedRoute);
    await page.waitForSelector('#resources tr[data-kind="HTTPRoute"][data-name="api"] .cond', {
      timeout: 30_000,
    });
    expect(await conditionBadges(page, 'HTTPRoute', 'api')).toContain('Accepted=True');
    await page.click('#resources tr[data-kind="HTTPRoute"][data-name="api"]');
    await expect.poll(() => page.locator('#resource-detail').textContent()).toContain('"Accepted"');
    await page.screenshot({ path: join(artifacts, 'live-resources.png'), fullPage: true });

    await view(page, 'flow');
    await page.fill('#flow-type', 'files.changed');
    const changed = page.locator('#flow-diagram g.step[data-type="files.changed"]').first();
    await changed.waitFor();
    await changed.click();
    // Following its cause ids reaches the re-read, the new route's announcement and the status write.
    await page.fill('#flow-type', '');
    for (const type of ['read-files', 'resource.upserted', 'write-status'])
      await page.locator(`#flow-diagram g.step[data-type="${type}"]`).first().waitFor();
    await page.screenshot({ path: join(artifacts, 'live-flow.png'), fullPage: true });

    // From a resource to the flow about it: everything that carried the new route's key.
    await view(page, 'resources');
    await page.click('#resources tr[data-kind="HTTPRoute"][data-name="api"]');
    await page.click('#resource-flow');
    await page.waitForSelector('#view-flow:not([hidden])');
    expect(await page.inputValue('#flow-resource')).toBe('HTTPRoute apps/api');
    for (const type of ['resource.upserted', 'status.desired', 'write-status'])
      await page.locator(`#flow-diagram g.step[data-type="${type}"]`).first().waitFor();
    expect(await page.locator('#flow-diagram g.step[data-type="files.changed"]').count()).toBe(0);
    await page.screenshot({ path: join(artifacts, 'live-flow-of-resource.png'), fullPage: true });

    await view(page, 'dataplane');
    await page.waitForSelector('#gateways .gateway h3');
    expect(await page.locator('#gateways .gateway h3').first().textContent()).toBe('apps/edge');
    await page.screenshot({ path: join(artifacts, 'live-dataplane.png'), fullPage: true });

    // Nothing the browser was served — pages or API — carries the Secret's data.
    const encoded = Buffer.from(PLANTED).toString('base64');
    const served: string[] = [await page.content()];
    for (const path of [
      '/',
      '/app.js',
      '/common.js',
      '/flow-view.js',
      '/dataplane-view.js',
      '/api/system',
      '/api/actors',
      '/api/flow',
      '/api/trace?limit=100000',
      '/api/resources',
      '/api/gateways',
      '/api/problems',
    ]) {
      served.push(await (await fetch(`${inspector.url}${path}`)).text());
    }
    for (const text of served) {
      expect(text).not.toContain(PLANTED);
      expect(text).not.toContain(encoded);
    }
    expect(served.join('')).toContain('"credentials"');
    expect(errors).toEqual([]);
  });
});

describe('inspector replaying a recorded log', () => {
  it('loads a log, steps, and scrubs back to before the Gateway was programmed', async () => {
    const driver = new ReplayDriver({ stepDelayMs: 20 });
    const inspector = await startInspector({ ...inspectDriver(driver), address: '127.0.0.1:0', tickMs: 200 });
    cleanups.push(async () => {
      await inspector.close();
      await driver.close();
    });
    const { page, errors } = await openPage(inspector.url);
    expect(await page.locator('#replay-position').textContent()).toBe('no log loaded');

    // Load through the UI's file input, as a user would.
    await page.setInputFiles('#replay-file', join(root, 'test', 'replays', 'httproute-lifecycle.jsonl'));
    await page.locator('#replay-position', { hasText: 'seq 0 of' }).waitFor();
    await page.click('#replay-step');
    await page.waitForSelector('body[data-position="1"]');

    // Play to the end, then the Gateway carries its Programmed condition.
    await page.click('#replay-play');
    await page.locator('#replay-position', { hasText: /seq (\d+) of \1(?!\d)/ }).waitFor({ timeout: 30_000 });
    await view(page, 'resources');
    await page.waitForSelector('#resources tr[data-kind="Gateway"][data-name="edge"] .cond');
    expect(
      (await conditionBadges(page, 'Gateway', 'edge')).some((text) => text.startsWith('Programmed=')),
    ).toBe(true);
    await page.screenshot({ path: join(artifacts, 'replay-end-resources.png'), fullPage: true });

    // Scrub back to the first record: the manifests are read, no status has been computed yet.
    await page.$eval('#replay-scrub', (input) => {
      (input as unknown as { value: string }).value = '1';
      input.dispatchEvent(new Event('change'));
    });
    await page.waitForSelector('body[data-position="1"]');
    await page.waitForSelector('#resources tr[data-kind="Gateway"][data-name="edge"]');
    await expect.poll(() => conditionBadges(page, 'Gateway', 'edge')).toEqual([]);
    await page.screenshot({ path: join(artifacts, 'replay-scrubbed-resources.png'), fullPage: true });

    await view(page, 'replay');
    await page.waitForSelector('#records tr[data-seq="1"]');
    await page.screenshot({ path: join(artifacts, 'replay-records.png'), fullPage: true });
    await view(page, 'actors');
    await page.waitForSelector('#actors tr[data-actor="reference-validator"]');
    await page.screenshot({ path: join(artifacts, 'replay-actors.png'), fullPage: true });

    // The log holds Secret data (the TLS key); the replay views never show it.
    const key = readFileSync(join(root, 'test', 'replays', 'tls', 'first.key'), 'utf8');
    const keyBase64 = Buffer.from(key).toString('base64').slice(0, 64);
    const served = [await page.content()];
    for (const path of [
      '/api/resources',
      '/api/replay/records?limit=5000',
      '/api/trace?limit=100000',
      '/api/gateways',
    ])
      served.push(await (await fetch(`${inspector.url}${path}`)).text());
    for (const text of served) expect(text).not.toContain(keyBase64);
    expect(errors).toEqual([]);
  });
});
