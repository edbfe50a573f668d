// A headless Debian Chromium driven by playwright-core, provisioned on first use.
import { type Browser, chromium, type Page } from 'playwright-core';
import { provisionChromium } from '../../provision/chromium.ts';

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: await provisionChromium(),
    headless: true,
    // No sandbox: tests run as root. No background networking: only loopback is reachable (and allowed).
    args: ['--no-sandbox', '--disable-background-networking'],
  });
}

/** A new page that collects console errors and uncaught page errors, which UI tests expect none of. */
export async function pageRecordingErrors(
  browser: Browser,
  viewport: { readonly width: number; readonly height: number } = { width: 1400, height: 900 },
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return { page, errors };
}
