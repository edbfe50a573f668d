// Debian's Chromium for the browser tests, installed with apt when it is missing (the machines run as root
// and reach Debian's archive; a browser build of playwright's own cannot be fetched here).
import { existsSync } from 'node:fs';
import { ProvisionError, runCommand } from './cache.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export async function provisionChromium(): Promise<string> {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (process.getuid?.() !== 0) {
    throw new ProvisionError(
      'chromium',
      `${CHROMIUM_PATH} is missing; install it with: sudo apt-get install chromium`,
    );
  }
  process.stderr.write('[provision] installing chromium with apt-get …\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Waits for a dpkg lock held by another install rather than failing at once.
  const apt = ['-o', 'DPkg::Lock::Timeout=600', '-y', '-q'];
  let install = await runCommand('apt-get', [...apt, 'install', '--no-install-recommends', 'chromium'], {
    env,
  });
  if (install.code !== 0) {
    // A fresh machine may have stale or no package lists.
    const update = await runCommand('apt-get', [...apt, 'update'], { env });
    if (update.code !== 0)
      throw new ProvisionError('chromium', `apt-get update failed: ${lastLines(update.stderr)}`);
    install = await runCommand('apt-get', [...apt, 'install', '--no-install-recommends', 'chromium'], {
      env,
    });
  }
  if (install.code !== 0 || !existsSync(CHROMIUM_PATH)) {
    throw new ProvisionError('chromium', `apt-get install chromium failed: ${lastLines(install.stderr)}`);
  }
  return CHROMIUM_PATH;
}

function lastLines(output: string): string {
  return output.trim().split('\n').slice(-10).join('\n');
}
