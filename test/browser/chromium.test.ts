// The browser the inspector tests drive: Debian's Chromium through playwright-core, on a loopback page.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium } from '../harness/browser/index.ts';

let browser: Browser;
let server: Server;
let pageUrl: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    // The heading is written by script, so the text proves the page ran, not only that bytes arrived.
    response.end(
      `<!doctype html><title>loopback</title><h1 id="greeting"></h1>` +
        `<script>document.getElementById('greeting').textContent = 'served ' + ${JSON.stringify(request.url)};</script>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/inspector`;
  // The first run on a fresh machine installs Chromium with apt.
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

it('Chromium loads a page served on loopback and the test reads its text', async () => {
  const page = await browser.newPage();
  await page.goto(pageUrl);
  expect(await page.locator('#greeting').textContent()).toBe('served /inspector');
  expect(await page.title()).toBe('loopback');
});
