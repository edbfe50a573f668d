// Test helper: reads our YAML manifests under model/testdata/ into a ResourceStore.
// A Secret data value `@file:<path>` is replaced by the base64 of that file, a ConfigMap data value by its text
// (our generated test certificates).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { AnyResource } from '../resources/kinds.ts';
import { ResourceStore } from '../shared/resource-view.ts';

const here = dirname(fileURLToPath(import.meta.url));

export const NOW = '2026-01-01T00:00:00Z';
export const LATER = '2026-01-01T00:05:00Z';
export const CONTROLLER = 'switchyard.dev/gateway-controller';

export function readManifests(...files: string[]): AnyResource[] {
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(here, file), 'utf8'))
      .map((doc) => doc.toJS() as AnyResource | null)
      .filter((object): object is AnyResource => object !== null)
      .map(inlineFiles),
  );
}

export function storeOf(...files: string[]): ResourceStore {
  const store = new ResourceStore();
  for (const object of readManifests(...files)) {
    if (!store.upsert(object))
      throw new Error(`fixture object not accepted by the store: ${JSON.stringify(object).slice(0, 200)}`);
  }
  return store;
}

export function testFile(path: string): string {
  return readFileSync(join(here, path), 'utf8');
}

function inlineFiles(object: AnyResource): AnyResource {
  if ((object.kind !== 'Secret' && object.kind !== 'ConfigMap') || object.data === undefined) return object;
  const encoding = object.kind === 'Secret' ? 'base64' : 'utf8';
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(object.data)) {
    data[key] = value.startsWith('@file:')
      ? readFileSync(join(here, value.slice(6))).toString(encoding)
      : value;
  }
  return { ...object, data };
}
