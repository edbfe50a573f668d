// Envoy's global rate limit service (github.com/envoyproxy/ratelimit) built from its Go module, and Debian's
// redis-server where it keeps its counters. The module has no tagged releases; its images are tagged with the
// commit (envoyproxy/ratelimit:<8 hex>), so the module's pseudo-version and the chart's image name the same
// commit (RATELIMIT_IMAGE_TAG), and a bump changes both together.
import { existsSync } from 'node:fs';
import { ProvisionError, runCommand, withCacheLock } from './cache.ts';
import { provisionGoBinary } from './go-binary.ts';

export const RATELIMIT_VERSION = 'v1.4.1-0.20260122083618-3fb702589d36';
/** The upstream image of the same commit (deploy/helm values `rateLimit.image`). */
export const RATELIMIT_IMAGE_TAG = '3fb70258';

export function provisionRateLimit(): Promise<string> {
  return provisionGoBinary({
    part: 'ratelimit',
    version: RATELIMIT_VERSION,
    mainPackage: 'github.com/envoyproxy/ratelimit/src/service_cmd',
    require: { 'github.com/envoyproxy/ratelimit': RATELIMIT_VERSION },
  });
}

export const REDIS_SERVER_PATH = '/usr/bin/redis-server';

/** Debian's redis-server, installed with apt when it is missing (as chromium.ts installs Chromium). */
export async function provisionRedis(): Promise<string> {
  if (existsSync(REDIS_SERVER_PATH)) return REDIS_SERVER_PATH;
  if (process.getuid?.() !== 0) {
    throw new ProvisionError(
      'redis-server',
      `${REDIS_SERVER_PATH} is missing; install it with: sudo apt-get install redis-server`,
    );
  }
  return withCacheLock('redis-server', async () => {
    if (existsSync(REDIS_SERVER_PATH)) return REDIS_SERVER_PATH;
    process.stderr.write('[provision] installing redis-server with apt-get …\n');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    // Waits for a dpkg lock held by another install rather than failing at once.
    const apt = ['-o', 'DPkg::Lock::Timeout=600', '-y', '-q'];
    const install = () =>
      runCommand('apt-get', [...apt, 'install', '--no-install-recommends', 'redis-server'], { env });
    let result = await install();
    if (result.code !== 0) {
      // A fresh machine may have stale or no package lists.
      const update = await runCommand('apt-get', [...apt, 'update'], { env });
      if (update.code !== 0)
        throw new ProvisionError('redis-server', `apt-get update failed: ${lastLines(update.stderr)}`);
      result = await install();
    }
    if (result.code !== 0 || !existsSync(REDIS_SERVER_PATH))
      throw new ProvisionError(
        'redis-server',
        `apt-get install redis-server failed: ${lastLines(result.stderr)}`,
      );
    return REDIS_SERVER_PATH;
  });
}

function lastLines(output: string): string {
  return output.trim().split('\n').slice(-10).join('\n');
}
