// A headless Debian Chromium driven by playwright-core, provisioned on first use.
import { type Browser, chromium } from 'playwright-core';
import { provisionChromium } from '../../provision/chromium.ts';

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: await provisionChromium(),
    headless: true,
    // No sandbox: tests run as root. No background networking: only loopback is reachable (and allowed).
    args: ['--no-sandbox', '--disable-background-networking'],
  });
}
