// Parsed objects live as long as their resource: what one costs is what 100,000 routes cost (docs/architecture.md,
// "Scale"). A child process with --expose-gc compares the heap held by routes parsed from YAML with the same objects
// parsed from JSON (exact-size arrays, strings of their own): a ratio within one process, no timing.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { measureHeapInChild } from '../../runtime/heap-held.ts';
import { parseManifests } from './manifests.ts';

const manifests = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'manifests.ts')).href;

const MEASURE = `
const { parseManifests } = await import(${JSON.stringify(manifests)});
const route = (i) => [
  'apiVersion: gateway.networking.k8s.io/v1',
  'kind: HTTPRoute',
  'metadata: {name: route-' + i + ', namespace: ns-' + (i % 10) + '}',
  'spec:',
  '  parentRefs: [{name: gw-' + (i % 100) + ', sectionName: http}]',
  '  hostnames: [r' + i + '.gw-' + (i % 100) + '.example.com]',
  '  rules:',
  '    - matches: [{path: {type: PathPrefix, value: /r' + i + '}}, {headers: [{name: x-route, value: r' + i + '}]}]',
  '      backendRefs: [{name: svc-' + (i % 200) + ', port: 8080}]',
].join('\\n');
const files = [];
for (let f = 0; f < 50; f++) {
  const docs = [];
  for (let i = f * 100; i < f * 100 + 100; i++) docs.push(route(i));
  files.push(docs.join('\\n---\\n'));
}
const fromYaml = heapHeldBy(() => files.map((text, f) => parseManifests('f' + f + '.yaml', text).documents.map((d) => d.object)));
const json = fromYaml.kept.map((objects) => JSON.stringify(objects));
files.length = 0;
fromYaml.kept.length = 0;
const fromJson = heapHeldBy(() => json.map((text) => JSON.parse(text)));
process.stdout.write(JSON.stringify({ yaml: fromYaml.held, json: fromJson.held, routes: fromJson.kept.flat().length }));
`;

describe('parsed manifests in memory', () => {
  it('hold about what the same objects parsed from JSON hold: no spare array room, no slices of the file text', () => {
    const { yaml, json, routes } = measureHeapInChild<{ yaml: number; json: number; routes: number }>(
      MEASURE,
    );
    expect(routes).toBe(5_000);
    // js-yaml as it parses: 2.6× (each array keeps room for 17 items, each long scalar keeps its document's text);
    // compacted 1.4×, and 1.2× since its short scalars are interned as JSON.parse's are ("PathPrefix" once, not
    // once per route).
    expect(yaml / json).toBeLessThan(1.3);
  });

  it('keeps a __proto__ key as data, not as the prototype', () => {
    const [document] = parseManifests(
      'a.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {__proto__: {polluted: yes}}}\n',
    ).documents;
    const labels = (document!.object.metadata as { labels: Record<string, unknown> }).labels;
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(Object.keys(labels)).toEqual(['__proto__']);
    expect((labels as { polluted?: unknown }).polluted).toBeUndefined();
  });
});
