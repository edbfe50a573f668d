// What the dependency index holds per dependency. At scale most objects that are depended on have one dependent
// (each route its own BackendTrafficPolicy: 10,000 in bench/controlplane.fullsync-btp), and a container of one
// entry per such object cost more than everything else the index keeps for it. A child process with --expose-gc
// compares the heap held by an index of policies each on a route of its own with one of as many routes on one
// Gateway (one entry of a shared container each): a ratio within one process, no timing.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { measureHeapInChild } from '../../runtime/heap-held.ts';

const here = dirname(fileURLToPath(import.meta.url));
const indexModule = pathToFileURL(join(here, 'dependency-index.ts')).href;
const keyModule = pathToFileURL(join(here, '../../model/resources/resource-key.ts')).href;

const MEASURE = `
const { DependencyIndex } = await import(${JSON.stringify(indexModule)});
const { resourceKey } = await import(${JSON.stringify(keyModule)});
const COUNT = 20000;
const route = (set, i) => resourceKey('gateway.networking.k8s.io', 'HTTPRoute', 'ns-' + (i % 10), set + '-route-' + i);
const policy = (i) => resourceKey('gateway.envoyproxy.io', 'BackendTrafficPolicy', 'ns-' + (i % 10), 'btp-' + i);
const gateway = resourceKey('gateway.networking.k8s.io', 'Gateway', 'ns-0', 'gw');
// The keys exist before either index is built: what is measured is the index's own.
const routesOnOneGateway = Array.from({ length: COUNT }, (_, i) => route('a', i));
const shared = heapHeldBy(() => {
  const index = new DependencyIndex();
  for (const key of routesOnOneGateway) index.set(key, [gateway]);
  return index;
});
const policies = Array.from({ length: COUNT }, (_, i) => [policy(i), route('b', i)]);
const oneEach = heapHeldBy(() => {
  const index = new DependencyIndex();
  for (const [key, target] of policies) index.set(key, [target]);
  return index;
});
const found = oneEach.kept.dependentsOf(policies[7][1]);
if (found.length !== 1 || found[0] !== policies[7][0]) throw new Error('dependent not found');
process.stdout.write(JSON.stringify({ oneEach: oneEach.held, shared: shared.held }));
`;

describe('the dependency index in memory', () => {
  it('holds an object with one dependent without a container of its own', () => {
    const { oneEach, shared } = measureHeapInChild<{ oneEach: number; shared: number }>(MEASURE);
    // ~390 bytes per policy against ~250 per route on the shared Gateway (1.5×); with a Map of one entry for
    // each route, ~540 (2.1×).
    expect(oneEach / shared).toBeLessThan(1.8);
  });
});
