// `switchyard translate` without `--crds`, as users run it: Gateway API's CRDs (fetched into the user's cache on
// first use, from the Go module cache or the Go module proxy, checked against the release's go.sum hash) and our
// own are applied by default. Offline, with nothing cached, it says once what is not checked and how to fix it,
// and still applies our own CRDs.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../../cli/testdata/spawn-cli.ts';
import { cacheFile, GATEWAY_API, INFERENCE_POOL } from '../../sources/files/crd-validation/upstream-crds.ts';
import { runCommand } from '../provision/cache.ts';
import { provisionUpstreamCrdFiles } from '../provision/gateway-api-crds.ts';
import { MANIFESTS } from './manifests.ts';

const WITH_OWN_KIND = `${MANIFESTS}---
apiVersion: switchyard.dev/v1alpha1
kind: GatewayClassParameters
metadata: {name: odd-backend}
spec: {backend: nginx}
`;

let dir: string;
let file: string;
/** The module zips as `go mod download` keeps them (the test parts' provisioning fetched them). */
let zips: Map<string, Buffer>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-default-crds-'));
  mkdirSync(join(dir, 'manifests'));
  file = join(dir, 'manifests', 'app.yaml');
  writeFileSync(file, WITH_OWN_KIND);
  await provisionUpstreamCrdFiles();
  const modCache = (await runCommand('go', ['env', 'GOMODCACHE'])).stdout.trim();
  zips = new Map(
    [GATEWAY_API, INFERENCE_POOL].map((release) => [
      `/${release.module}/@v/${release.version}.zip`,
      readFileSync(join(modCache, 'cache', 'download', release.module, '@v', `${release.version}.zip`)),
    ]),
  );
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OWN_REFUSAL = (line: number) =>
  `${file}:${line}: rejected: GatewayClassParameters odd-backend: spec.backend: Unsupported value: "nginx": supported values: "envoy", "agentgateway"`;
const GATEWAY_API_REFUSALS = () => [
  `${file}:25: rejected: HTTPRoute apps/prefix-rewrite: spec.rules[0]: Invalid value: When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified`,
  `${file}:35: rejected: TCPRoute apps/two-rules: spec.rules: Too many: 2: must have at most 1 item; <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation`,
];

describe('switchyard translate without --crds (spawned)', () => {
  it('fetches Gateway API CRDs into an empty cache on first use and refuses what they refuse, naming file, object and message', async () => {
    const env = { SWITCHYARD_CACHE_DIR: join(dir, 'cache-first-use') };
    const run = await spawnCli(['translate', '-f', join(dir, 'manifests')], env);
    expect(run.stderr.split('\n').filter(Boolean)).toEqual([
      ...GATEWAY_API_REFUSALS(),
      OWN_REFUSAL(44),
      'translate: 4 accepted, 3 rejected, 0 ignored',
    ]);
    expect(run.code).toBe(1);
    expect(existsSync(cacheFile(GATEWAY_API, env))).toBe(true);
    expect(existsSync(cacheFile(INFERENCE_POOL, env))).toBe(true);
  });

  it('offline with nothing cached: says once what is not checked and how to fix it; our own CRDs still apply', async () => {
    const run = await spawnCli(['translate', '-f', join(dir, 'manifests')], offline('cache-offline'));
    const lines = run.stderr.split('\n').filter(Boolean);
    const notices = lines.filter((line) => line.includes('are not checked against'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      /^switchyard translate: the CRDs of Gateway API v1\.6\.3 and Gateway API Inference Extension v1\.6\.0 are not in the cache .*: objects of the gateway\.networking\.k8s\.io kinds \(Gateway, HTTPRoute, GRPCRoute, TCPRoute, …\) and InferencePool are not checked against their CRDs' schemas and CEL validation rules, .*fix: run `switchyard fetch-crds` where the Go module proxy is reachable, or give --crds/,
    );
    expect(notices[0]).toContain('GOPROXY: off: no download allowed');
    expect(lines).toContain(OWN_REFUSAL(44));
    // Gateway API's rules were not applied (what the model itself refuses still is).
    expect(lines.filter((line) => /Too many: 2|exactly one PathPrefix match/.test(line))).toEqual([]);
    expect(lines.at(-1)).toMatch(/^translate: \d+ accepted, \d+ rejected, 0 ignored$/);
    expect(run.code).toBe(1);
  });

  describe('through a Go module proxy (GOPROXY on loopback, no Go module cache)', () => {
    let proxy: Server;
    let url: string;
    let tamper = false;
    beforeAll(async () => {
      proxy = createServer((request, response) => {
        const zip = zips.get(request.url ?? '');
        if (zip === undefined) {
          response.writeHead(404).end('not found');
          return;
        }
        response
          .writeHead(200, { 'content-type': 'application/zip' })
          .end(tamper ? renamedFirstFile(zip) : zip);
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

    it('switchyard fetch-crds fills the cache; then translate refuses offline what the CRDs refuse', async () => {
      const cache = join(dir, 'cache-proxy');
      const fetched = await spawnCli(['fetch-crds'], {
        SWITCHYARD_CACHE_DIR: cache,
        GOMODCACHE: join(dir, 'no-mod-cache'),
        GOPROXY: `${url},direct`,
      });
      expect(fetched.stderr).toBe('');
      expect(fetched.stdout).toMatch(
        /^Gateway API v1\.6\.3: \d+ CRDs fetched into \S+\nGateway API Inference Extension v1\.6\.0: 1 CRDs fetched into \S+\n$/,
      );
      expect(fetched.code).toBe(0);
      const again = await spawnCli(['fetch-crds'], { SWITCHYARD_CACHE_DIR: cache, GOPROXY: 'off' });
      expect(again.stdout).toContain('Gateway API v1.6.3: CRDs already in');
      expect(again.code).toBe(0);
      const run = await spawnCli(['translate', '-f', join(dir, 'manifests')], {
        ...offline('unused'),
        SWITCHYARD_CACHE_DIR: cache,
      });
      expect(run.stderr.split('\n').filter(Boolean)).toEqual([
        ...GATEWAY_API_REFUSALS(),
        OWN_REFUSAL(44),
        'translate: 4 accepted, 3 rejected, 0 ignored',
      ]);
    });

    it('a zip whose hash is not the release’s is not taken, and fetch-crds says so and exits 1', async () => {
      tamper = true;
      try {
        const cache = join(dir, 'cache-tampered');
        const run = await spawnCli(['fetch-crds'], {
          SWITCHYARD_CACHE_DIR: cache,
          GOMODCACHE: join(dir, 'no-mod-cache'),
          GOPROXY: url,
        });
        expect(run.stderr).toMatch(
          /^switchyard fetch-crds: Gateway API v1\.6\.3 \(sigs\.k8s\.io\/gateway-api@v1\.6\.3\) could not be fetched: .*not there; http:\/\/127\.0\.0\.1:\d+\/sigs\.k8s\.io\/gateway-api\/@v\/v1\.6\.3\.zip: the zip's hash h1:\S+ is not Gateway API v1\.6\.3's \(h1:lKpJa5bGlraC\/QeACvCpsHLdmO6y0iKfzVl6gzaFEYc=\): not taken$/m,
        );
        expect(run.code).toBe(1);
        expect(existsSync(cacheFile(GATEWAY_API, { SWITCHYARD_CACHE_DIR: cache }))).toBe(false);
      } finally {
        tamper = false;
      }
    });
  });
});

/**
 * The zip with its first file renamed in the central directory (one letter's case changed): it still reads, but it
 * is not the release's content.
 */
function renamedFirstFile(zip: Buffer): Buffer {
  const tampered = Buffer.from(zip);
  const end = tampered.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const entry = tampered.readUInt32LE(end + 16);
  const lastLetter = entry + 46 + tampered.readUInt16LE(entry + 28) - 1;
  tampered[lastLetter] = tampered[lastLetter]! ^ 0x20;
  return tampered;
}

/** An environment with nothing cached, no Go module cache and no proxy. */
function offline(cache: string): NodeJS.ProcessEnv {
  return {
    SWITCHYARD_CACHE_DIR: join(dir, cache),
    GOMODCACHE: join(dir, 'no-mod-cache'),
    GOPROXY: 'off',
  };
}
