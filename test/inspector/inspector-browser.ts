// What the inspector's browser tests share: one Chromium per test file, pages that record console errors and
// uncaught exceptions, cleanups run after each test, and the folder screenshots go to (git-ignored).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { launchChromium, pageRecordingErrors } from '../harness/browser/index.ts';

export const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'inspector');

export interface OpenOptions {
  /** Default 1400×900. */
  readonly viewport?: { readonly width: number; readonly height: number };
  /** Runs before the page loads (e.g. `page.route` to hold an API response back). */
  readonly beforeLoad?: (page: Page) => Promise<void>;
  /** Wait for the UI to say it is ready (default true). */
  readonly waitReady?: boolean;
}

export interface InspectorBrowser {
  /** Opens `url` once the UI says it is ready; `errors` collects console errors and page errors. */
  openPage(url: string, options?: OpenOptions): Promise<{ page: Page; errors: string[] }>;
  /** Run after the current test, last registered first. */
  readonly cleanups: (() => Promise<void> | void)[];
}

/** Registers the hooks of a browser test file (call at module level). */
export function inspectorBrowser(): InspectorBrowser {
  let browser: Browser;
  const cleanups: (() => Promise<void> | void)[] = [];
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    cleanups,
    async openPage(url, options = {}) {
      const { page, errors } = await pageRecordingErrors(browser, options.viewport);
      cleanups.push(() => page.close());
      await options.beforeLoad?.(page);
      await page.goto(url);
      if (options.waitReady !== false) await page.waitForSelector('body[data-ready="true"]');
      return { page, errors };
    },
  };
}

/** Switches the UI to one of its views and waits until it shows. */
export async function view(page: Page, name: string): Promise<void> {
  await page.click(`nav button[data-view="${name}"]`);
  await page.waitForSelector(`#view-${name}:not([hidden])`);
}
