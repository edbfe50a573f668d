// Which local program stands for which image on the node agent: the conformance echo server, the Envoy of the
// test environment, a DNS responder for the coredns image, and Switchyard itself (its CLI from this checkout).
import { fileURLToPath } from 'node:url';
import type { ImageMap, ImageRuntime } from '../node-agent/container-launch.ts';

export interface LocalBinaries {
  /** conformance/echo-basic (test/provision/gateway-api-conformance.ts). */
  readonly echoBasic?: string;
  /** The Envoy binary (test/provision/envoy.ts). */
  readonly envoy?: string;
  /** Run the switchyard image as `node cli/switchyard.ts` of this checkout. */
  readonly switchyard?: boolean;
  /** Answer for the coredns image with dns-whoami.ts (the suite's coredns serves `whoami` only). */
  readonly dnsWhoami?: boolean;
}

const SWITCHYARD_CLI = fileURLToPath(new URL('../../../cli/switchyard.ts', import.meta.url));
const DNS_WHOAMI = fileURLToPath(new URL('./dns-whoami.ts', import.meta.url));

/** The repository part of an image reference: registry and tag or digest removed. */
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@')[0]!;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const withoutTag = colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
  const parts = withoutTag.split('/');
  // A first part with a dot or a port is a registry host.
  if (parts.length > 1 && /[.:]/.test(parts[0]!)) parts.shift();
  return parts.join('/');
}

export function localImages(binaries: LocalBinaries): ImageMap {
  return (image) => {
    const repository = imageRepository(image);
    let runtime: ImageRuntime | undefined;
    if (binaries.echoBasic && repository === 'gateway-api/echo-basic')
      runtime = { entrypoint: [binaries.echoBasic] };
    else if (binaries.envoy && repository === 'envoyproxy/envoy')
      // Envoys share /dev/shm across network namespaces: hot restart would make them collide.
      runtime = { entrypoint: [binaries.envoy], extraArgs: ['--disable-hot-restart', '--concurrency', '1'] };
    else if (binaries.dnsWhoami && repository === 'coredns/coredns')
      runtime = { entrypoint: [process.execPath, DNS_WHOAMI] };
    else if (binaries.switchyard && repository.endsWith('/switchyard'))
      runtime = { entrypoint: [process.execPath, SWITCHYARD_CLI] };
    return runtime;
  };
}
