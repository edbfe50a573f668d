// Reads the CustomResourceDefinitions files mode validates against (`--crds`): YAML or JSON files, or directories
// of them, as the Gateway API release's install manifests or a `config/crd` folder hold them.
import type { RawObject } from '../../../model/resources/resource-events.ts';
import { findManifestFiles, readManifestFile } from '../manifests.ts';
import { type CrdValidator, crdValidator } from './crd-validator.ts';

/** Throws naming the file when a path cannot be read, holds no CRD, or a rule does not compile. */
export async function loadCrdValidator(paths: readonly string[]): Promise<CrdValidator> {
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
  return crdValidator(crds as Record<string, unknown>[]);
}
