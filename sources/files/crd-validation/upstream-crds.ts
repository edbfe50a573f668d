// The upstream CustomResourceDefinitions files mode checks objects against by default: Gateway API's experimental
// channel and the Inference Extension's InferencePool, at the releases Switchyard targets. None of their YAML is in
// this repository: each is taken from its published Go module (the user's Go module cache when it holds the zip,
// else the Go module proxy), checked against the module's go.sum hash, and kept as JSON in the user's cache
// (`${SWITCHYARD_CACHE_DIR:-~/.cache/switchyard}/crds/`), so only the first use (or `npm install`, or the image
// build: `switchyard fetch-crds`) needs the network.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { goModuleHash, zipFiles } from './module-zip.ts';

export interface UpstreamCrdRelease {
  /** What a user knows it as, in messages: "Gateway API v1.6.3". */
  readonly title: string;
  /** The kinds it defines, in messages: "the gateway.networking.k8s.io kinds". */
  readonly covers: string;
  /** The API groups of its kinds: CRDs of these groups given with `--crds` take the release's place. */
  readonly groups: readonly string[];
  readonly module: string;
  readonly version: string;
  /** The module's hash as go.sum records it. */
  readonly hash: string;
  /** The module's files (paths inside it) that hold its CRDs, read from the module's own files. */
  crdFiles(read: (path: string) => string | undefined): string[];
}

export const GATEWAY_API: UpstreamCrdRelease = {
  title: 'Gateway API v1.6.3',
  covers: 'the gateway.networking.k8s.io kinds (Gateway, HTTPRoute, GRPCRoute, TCPRoute, …)',
  groups: ['gateway.networking.k8s.io', 'gateway.networking.x-k8s.io'],
  module: 'sigs.k8s.io/gateway-api',
  version: 'v1.6.3',
  hash: 'h1:lKpJa5bGlraC/QeACvCpsHLdmO6y0iKfzVl6gzaFEYc=',
  // The channel's kustomization lists what upstream installs, so a version bump brings new CRDs along.
  crdFiles(read) {
    const dir = 'config/crd/experimental';
    const kustomization = read(`${dir}/kustomization.yaml`);
    const resources = (parseYaml(kustomization ?? '')[0] as { resources?: unknown } | undefined)?.resources;
    if (!Array.isArray(resources) || resources.length === 0)
      throw new Error(`${dir}/kustomization.yaml lists no resources`);
    return resources.map((resource) => `${dir}/${String(resource)}`);
  },
};

export const INFERENCE_POOL: UpstreamCrdRelease = {
  title: 'Gateway API Inference Extension v1.6.0',
  covers: 'InferencePool',
  groups: ['inference.networking.k8s.io'],
  module: 'sigs.k8s.io/gateway-api-inference-extension',
  version: 'v1.6.0',
  hash: 'h1:cjtwMJYcTnLXBYE5ffR1/hHhn7U1aIFfe2RITYmOXVA=',
  crdFiles: () => ['config/crd/bases/inference.networking.k8s.io_inferencepools.yaml'],
};

export const UPSTREAM_CRD_RELEASES: readonly UpstreamCrdRelease[] = [GATEWAY_API, INFERENCE_POOL];

export type CrdObject = Record<string, unknown>;

/** The release's CRDs from the user's cache; undefined when they are not there (or the entry is unreadable). */
export function cachedCrds(
  release: UpstreamCrdRelease,
  env: NodeJS.ProcessEnv = process.env,
): CrdObject[] | undefined {
  try {
    const crds = JSON.parse(readFileSync(cacheFile(release, env), 'utf8')) as unknown;
    return Array.isArray(crds) && crds.length > 0 ? (crds as CrdObject[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Fetches the release's CRDs into the user's cache and returns them. Throws with every place tried and why each
 * failed (no zip in the Go module cache, the proxy unreachable or off, a hash that is not the release's, …).
 */
export async function fetchCrds(
  release: UpstreamCrdRelease,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CrdObject[]> {
  const failures: string[] = [];
  for (const source of zipSources(release, env)) {
    let zip: Buffer;
    try {
      zip = await source.read();
    } catch (error) {
      failures.push(`${source.name}: ${(error as Error).message}`);
      continue;
    }
    try {
      const crds = crdsOfZip(release, zip);
      store(release, crds, env);
      return crds;
    } catch (error) {
      failures.push(`${source.name}: ${(error as Error).message}`);
    }
  }
  throw new Error(failures.join('; '));
}

/** Where the release's CRDs are kept, as JSON. */
export function cacheFile(release: UpstreamCrdRelease, env: NodeJS.ProcessEnv = process.env): string {
  return join(crdCacheDir(env), `${release.module}@${release.version}.json`);
}

/** The folder of the user's cache where CRDs are kept as JSON. */
export function crdCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const root =
    env.SWITCHYARD_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'switchyard');
  return join(root, 'crds');
}

function crdsOfZip(release: UpstreamCrdRelease, zip: Buffer): CrdObject[] {
  const files = zipFiles(zip);
  const hash = goModuleHash(files);
  if (hash !== release.hash)
    throw new Error(`the zip's hash ${hash} is not ${release.title}'s (${release.hash}): not taken`);
  const prefix = `${release.module}@${release.version}/`;
  const read = (path: string) => files.get(prefix + path)?.toString('utf8');
  const crds: CrdObject[] = [];
  for (const path of release.crdFiles(read)) {
    const text = read(path);
    if (text === undefined) throw new Error(`the module has no ${path}`);
    for (const document of parseYaml(text))
      if ((document as CrdObject | null)?.kind === 'CustomResourceDefinition')
        crds.push(document as CrdObject);
  }
  if (crds.length === 0) throw new Error('the module holds no CustomResourceDefinition where expected');
  return crds;
}

function store(release: UpstreamCrdRelease, crds: readonly CrdObject[], env: NodeJS.ProcessEnv): void {
  storeJson(cacheFile(release, env), crds);
}

/** Keeps `crds` as JSON in `file`; throws when it cannot be written. */
export function storeJson(file: string, crds: readonly CrdObject[]): void {
  mkdirSync(dirname(file), { recursive: true });
  // Written aside and renamed: a concurrent run reads the whole file or none.
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, JSON.stringify(crds));
  renameSync(partial, file);
}

interface ZipSource {
  readonly name: string;
  read(): Promise<Buffer>;
}

/** The user's Go module cache first (no network), then each proxy of GOPROXY. */
function zipSources(release: UpstreamCrdRelease, env: NodeJS.ProcessEnv): ZipSource[] {
  const escaped = escapeModulePath(release.module);
  const modCache =
    env.GOMODCACHE ||
    join(
      (env.GOPATH || join(homedir(), 'go')).split(process.platform === 'win32' ? ';' : ':')[0]!,
      'pkg',
      'mod',
    );
  const cached = join(modCache, 'cache', 'download', escaped, '@v', `${release.version}.zip`);
  const sources: ZipSource[] = [
    {
      name: `the Go module cache (${cached})`,
      read: async () => {
        try {
          return readFileSync(cached);
        } catch (error) {
          throw new Error(
            (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not there' : (error as Error).message,
          );
        }
      },
    },
  ];
  const proxies = (env.GOPROXY ?? 'https://proxy.golang.org,direct')
    .split(/[,|]/)
    .map((entry) => entry.trim());
  for (const proxy of proxies) {
    if (proxy === 'off') {
      sources.push({ name: 'GOPROXY', read: () => Promise.reject(new Error('off: no download allowed')) });
      break;
    }
    // `direct` means version control, which the command does not speak.
    if (!/^https?:\/\//.test(proxy)) continue;
    const url = `${proxy.replace(/\/+$/, '')}/${escaped}/@v/${release.version}.zip`;
    sources.push({ name: url, read: () => download(url) });
  }
  return sources;
}

async function download(url: string): Promise<Buffer> {
  let response: Response;
  try {
    // A network that drops packets instead of refusing would otherwise hold the command up for minutes.
    response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(cause?.code ?? cause?.message ?? (error as Error).message);
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

/** The module proxy's escaping: an upper-case letter is `!` and the letter in lower case. */
function escapeModulePath(module: string): string {
  return module.replace(/[A-Z]/g, (letter) => `!${letter.toLowerCase()}`);
}

function parseYaml(text: string): unknown[] {
  return loadAll(text, null, { schema: CORE_SCHEMA });
}
