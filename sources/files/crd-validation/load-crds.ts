// Reads the CustomResourceDefinitions files mode validates against: by default Switchyard's own (`deploy/crds/`)
// and the upstream releases it targets (Gateway API, InferencePool: fetched into the user's cache on first use),
// plus any given with `--crds` (YAML or JSON files, or directories of them, as a release's install manifests or a
// `config/crd` folder hold them), which take the place of the same CRDs from the other two.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawObject } from '../../../model/resources/resource-events.ts';
import { findManifestFiles, readManifestFile } from '../manifests.ts';
import { type CrdValidator, crdValidator } from './crd-validator.ts';
import {
  type CrdObject,
  cachedCrds,
  cacheFile,
  crdCacheDir,
  fetchCrds,
  storeJson,
  UPSTREAM_CRD_RELEASES,
  type UpstreamCrdRelease,
} from './upstream-crds.ts';
import { type VerdictCache, verdictCache } from './verdict-cache.ts';

/** Switchyard's own CRDs (its kinds, Envoy Gateway's and Envoy AI Gateway's as it reads them). */
export const OWN_CRDS_DIR = fileURLToPath(new URL('../../../deploy/crds/', import.meta.url));

/** Throws naming the file when a path cannot be read, holds no CRD, or a rule does not compile. */
export async function loadCrdValidator(paths: readonly string[]): Promise<CrdValidator> {
  return crdValidator(await readCrds(paths));
}

export interface FilesModeCrds {
  readonly validator: CrdValidator;
  /**
   * Set when an upstream release's CRDs were neither in the cache nor could be fetched: one line saying which
   * kinds are not checked, why, and how to fix it.
   */
  readonly notice?: string;
  /** Keeps this run's verdicts for the next (`keepVerdicts`); does nothing otherwise. */
  saveVerdicts(): void;
}

/**
 * The CRDs files mode checks objects against. Throws (naming the file) only for what `given` names; an upstream
 * release that cannot be had is left out and said in `notice`.
 */
export async function loadFilesModeCrds(
  given: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  options: {
    /**
     * Verdicts of earlier runs are reused and this run's kept, in the user's cache (verdict-cache.ts): for commands
     * that run once on files a user runs them on again (translate).
     */
    readonly keepVerdicts?: boolean;
  } = {},
): Promise<FilesModeCrds> {
  const givenCrds = given.length === 0 ? [] : await readCrds(given);
  const givenGroups = new Set(givenCrds.map((crd) => (crd.spec as { group?: unknown } | undefined)?.group));
  const upstream: CrdObject[] = [];
  const missing: { release: UpstreamCrdRelease; reason: string }[] = [];
  for (const release of UPSTREAM_CRD_RELEASES) {
    if (release.groups.some((group) => givenGroups.has(group))) continue;
    const cached = cachedCrds(release, env);
    if (cached !== undefined) {
      upstream.push(...cached);
      continue;
    }
    try {
      upstream.push(...(await fetchCrds(release, env)));
    } catch (error) {
      missing.push({ release, reason: (error as Error).message });
    }
  }
  const own = await ownCrds(env);
  // By name: a CRD given with --crds replaces ours or upstream's of the same name.
  const byName = new Map<unknown, CrdObject>();
  for (const crd of [...upstream, ...own, ...givenCrds])
    byName.set((crd.metadata as { name?: unknown } | undefined)?.name, crd);
  // Ours and upstream's are known to compile: each kind's schema and rules are compiled when its first object comes
  // (most runs see a few kinds). Those given are compiled now, so a rule that does not compile is named at start.
  const verdicts: VerdictCache | undefined = options.keepVerdicts
    ? verdictCache(join(dirname(crdCacheDir(env)), 'crd-verdicts'))
    : undefined;
  const validator = crdValidator([...byName.values()], {
    later: new Set([...upstream, ...own]),
    ...(verdicts === undefined ? {} : { verdicts }),
  });
  const saveVerdicts = () => verdicts?.save();
  if (missing.length === 0) return { validator, saveVerdicts };
  return {
    validator,
    saveVerdicts,
    notice: `the CRDs of ${missing.map(({ release }) => release.title).join(' and ')} are not in the cache (${missing.map(({ release }) => cacheFile(release, env)).join(', ')}) and could not be fetched (${missing.map(({ release, reason }) => `${release.module}@${release.version}: ${reason}`).join('; ')}): objects of ${missing.map(({ release }) => release.covers).join(' and ')} are not checked against their CRDs' schemas and CEL validation rules, so some that a cluster would refuse pass here (Switchyard's own kinds are checked); fix: run \`switchyard fetch-crds\` where the Go module proxy is reachable, or give --crds with the release's install YAML`,
  };
}

/**
 * Switchyard's own CRDs, kept as JSON in the user's cache under the hash of their YAML (parsing the YAML cost more
 * than the rest of loading the CRDs); read from the YAML when that cache cannot be read or written.
 */
async function ownCrds(env: NodeJS.ProcessEnv): Promise<CrdObject[]> {
  const listing = await findManifestFiles([OWN_CRDS_DIR]);
  const hash = createHash('sha256');
  for (const path of listing.files)
    hash.update(`${relative(OWN_CRDS_DIR, path)}\0`).update(readFileSync(path));
  const file = join(crdCacheDir(env), `switchyard-own-${hash.digest('hex').slice(0, 16)}.json`);
  try {
    const crds = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (Array.isArray(crds) && crds.length > 0) return crds as CrdObject[];
  } catch {
    // Not kept yet (or unreadable): read from the YAML below.
  }
  const crds = await readCrds([OWN_CRDS_DIR]);
  try {
    storeJson(file, crds);
  } catch {
    // A cache that cannot be written only costs the next run the YAML parse.
  }
  return crds;
}

async function readCrds(paths: readonly string[]): Promise<CrdObject[]> {
  const listing = await findManifestFiles(paths);
  if (listing.errors.length > 0) throw new Error(listing.errors.join('; '));
  const crds: RawObject[] = [];
  for (const path of listing.files) {
    const file = await readManifestFile(path);
    if (file.errors.length > 0) throw new Error(file.errors.join('; '));
    for (const { object } of file.documents)
      if (object.kind === 'CustomResourceDefinition') crds.push(object);
  }
  if (crds.length === 0) throw new Error(`${paths.join(', ')}: no CustomResourceDefinition in it`);
  return crds as CrdObject[];
}
