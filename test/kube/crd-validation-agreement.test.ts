// Files mode checks objects against the CRDs as the API server would (sources/files/crd-validation/). This test asks
// the real kube-apiserver, with the same CRDs installed, about every object of a corpus (a server-side dry-run
// create) and requires the same verdict and the same errors, word for word: Gateway API's own examples and invalid
// examples (read from its published module), our cases for each validation rule family, and seeded random
// mutations of the valid ones.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ApiException, type KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import fc from 'fast-check';
import { beforeAll, describe, expect } from 'vitest';
import { type CrdValidator, crdValidator } from '../../sources/files/crd-validation/crd-validator.ts';
import { DEPLOY_DIR, kubeTest, readDeployManifests, readManifests } from '../harness/kube/index.ts';
import { GATEWAY_API_VERSION, provisionUpstreamCrdFiles } from '../provision/gateway-api-crds.ts';
import { downloadGoModule } from '../provision/go-binary.ts';
import { MUTATION_VALUES, RULE_CASES } from './crd-validation-cases.ts';

type Obj = Record<string, unknown> & { apiVersion: string; kind: string; metadata: Record<string, unknown> };

let validator: CrdValidator;
let examples: { origin: string; object: Obj }[];

beforeAll(async () => {
  const upstream = await provisionUpstreamCrdFiles();
  const own = readDeployManifests(DEPLOY_DIR)
    .objects.map(({ object }) => object)
    .filter((object) => object.kind === 'CustomResourceDefinition');
  validator = crdValidator([...upstream.flatMap(readManifests), ...own] as unknown as Record<
    string,
    unknown
  >[]);
  const module = await downloadGoModule(
    'Gateway API examples',
    'sigs.k8s.io/gateway-api',
    GATEWAY_API_VERSION,
  );
  examples = ['examples', 'hack/invalid-examples'].flatMap((dir) =>
    yamlFiles(join(module.dir, dir)).flatMap((file) =>
      readManifests(file)
        .filter((object) => validator.kinds.includes(kindId(object)))
        .map((object, i) => ({
          origin: `${file.slice(module.dir.length + 1)}#${i + 1}`,
          object: object as Obj,
        })),
    ),
  );
});

describe('files mode validates objects as the kube-apiserver does', () => {
  kubeTest("agrees on Gateway API's own examples and invalid examples", async ({ kube }) => {
    expect(examples.length).toBeGreaterThan(80);
    const verdicts = await compareAll(kube.kubeConfig, kube.namespace, examples);
    expect(verdicts.disagreements, JSON.stringify(verdicts.disagreements, null, 1)).toEqual([]);
    // Both kinds are in the corpus: the invalid examples are refused by both.
    expect(verdicts.refused).toBeGreaterThan(25);
    expect(verdicts.accepted).toBeGreaterThan(50);
  });

  kubeTest('agrees on a case for each validation rule family', async ({ kube }) => {
    const verdicts = await compareAll(
      kube.kubeConfig,
      kube.namespace,
      RULE_CASES.map(({ name, object }) => ({ origin: name, object: object as Obj })),
    );
    expect(verdicts.disagreements, JSON.stringify(verdicts.disagreements, null, 1)).toEqual([]);
    expect(verdicts.refused).toBeGreaterThan(RULE_CASES.length / 2);
  });

  kubeTest('agrees on random mutations of the valid examples (property)', async ({ kube }) => {
    const seeds = examples.filter(({ origin }) => origin.startsWith('examples/'));
    const cases = fc.sample(mutatedExample(seeds.map(({ object }) => object)), { numRuns: 300, seed: 4_242 });
    const verdicts = await compareAll(
      kube.kubeConfig,
      kube.namespace,
      cases.map(({ object, mutation }, i) => ({ origin: `mutation ${i}: ${mutation}`, object })),
    );
    expect(verdicts.disagreements, JSON.stringify(verdicts.disagreements, null, 1)).toEqual([]);
    expect(verdicts.refused).toBeGreaterThan(20);
  });
});

interface Verdicts {
  accepted: number;
  refused: number;
  disagreements: { origin: string; apiServer: string[]; filesMode: string[] }[];
}

async function compareAll(
  kubeConfig: Parameters<typeof KubernetesObjectApi.makeApiClient>[0],
  namespace: string,
  corpus: readonly { origin: string; object: Obj }[],
): Promise<Verdicts> {
  const client = KubernetesObjectApi.makeApiClient(kubeConfig);
  const verdicts: Verdicts = { accepted: 0, refused: 0, disagreements: [] };
  for (const { origin, object } of corpus) {
    const placed = place(object, namespace);
    const apiServer = await apiServerErrors(client, placed);
    const filesMode = validator.validate(placed).sort();
    if (apiServer.length === 0) verdicts.accepted++;
    else verdicts.refused++;
    if (JSON.stringify(apiServer) !== JSON.stringify(filesMode))
      verdicts.disagreements.push({ origin, apiServer, filesMode });
  }
  return verdicts;
}

/** The errors of a dry-run create, as `field: message` (the API server's causes), sorted; none when it is stored. */
async function apiServerErrors(client: KubernetesObjectApi, object: Obj): Promise<string[]> {
  try {
    await client.create(object as KubernetesObject, undefined, 'All');
    return [];
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const status = (typeof error.body === 'string' ? JSON.parse(error.body) : error.body) as {
      message?: string;
      details?: { causes?: { field?: string; message?: string }[] };
    };
    const causes = status.details?.causes ?? [];
    if (causes.length === 0) return [`(status) ${status.message ?? error.message}`];
    return causes.map((cause) => `${cause.field ?? '<nil>'}: ${cause.message ?? ''}`).sort();
  }
}

/** In the test's namespace (cluster-scoped kinds stay cluster-scoped): a dry run stores nothing, names may repeat. */
function place(object: Obj, namespace: string): Obj {
  const copy = structuredClone(object);
  if (copy.kind !== 'GatewayClass') copy.metadata = { ...copy.metadata, namespace };
  return copy;
}

function kindId(object: KubernetesObject): string {
  const apiVersion = object.apiVersion ?? '';
  return `${object.kind}.${apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : ''}`;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(name) ? [path] : [];
    });
}

/** A valid example with one change somewhere in its spec: a value replaced, a field removed, a list item doubled. */
function mutatedExample(seeds: readonly Obj[]): fc.Arbitrary<{ object: Obj; mutation: string }> {
  return fc
    .record({
      seed: fc.nat({ max: seeds.length - 1 }),
      at: fc.nat(),
      change: fc.oneof(
        fc.constant<Change>({ op: 'remove' }),
        fc.constant<Change>({ op: 'duplicate' }),
        fc.constantFrom(...MUTATION_VALUES).map((value): Change => ({ op: 'set', value })),
      ),
    })
    .map(({ seed, at, change }) => {
      const object = structuredClone(seeds[seed] as Obj);
      const places = fieldsOf(object.spec, 'spec');
      const place = places[at % Math.max(places.length, 1)];
      if (place === undefined) return { object, mutation: 'none' };
      const { parent, key, path } = place;
      const value = (parent as Record<string | number, unknown>)[key];
      if (change.op === 'remove') {
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete (parent as Record<string, unknown>)[key as string];
      } else if (change.op === 'duplicate' && Array.isArray(parent)) {
        parent.splice(key as number, 0, structuredClone(value));
      } else if (change.op === 'set') {
        (parent as Record<string | number, unknown>)[key] = structuredClone(change.value);
      }
      return {
        object,
        mutation: `${String(object.kind)} ${String(object.metadata.name)} ${path}: ${change.op}${change.op === 'set' ? ` ${JSON.stringify(change.value).slice(0, 60)}` : ''}`,
      };
    });
}

type Change = { op: 'remove' } | { op: 'duplicate' } | { op: 'set'; value: unknown };

function fieldsOf(value: unknown, path: string): { parent: object; key: string | number; path: string }[] {
  if (value === null || typeof value !== 'object') return [];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [i, item])
    : Object.entries(value);
  return entries.flatMap(([key, child]) => {
    const childPath = typeof key === 'number' ? `${path}[${key}]` : `${path}.${key}`;
    return [{ parent: value, key, path: childPath }, ...fieldsOf(child, childPath)];
  });
}
