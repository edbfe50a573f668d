// Kubernetes objects from multi-document YAML files.
import { readFileSync } from 'node:fs';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

export function readManifests(file: string): KubernetesObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).flatMap((document, index) => {
    if (document.errors.length > 0) {
      throw new Error(`${file}, document ${index + 1}: ${document.errors[0]!.message}`);
    }
    const object = document.toJS() as KubernetesObject | null;
    return object ? [object] : [];
  });
}
