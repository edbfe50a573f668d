import { describe, expect, it } from 'vitest';
import type { RawObject } from '../../../model/resources/resource-events.ts';
import type { ManifestFile } from '../manifests.ts';
import { crdValidator } from './crd-validator.ts';
import { readValidator } from './validate-read.ts';

// Our own CRD with an immutable field, as GatewayClass's spec.controllerName is.
const CLASSES = {
  kind: 'CustomResourceDefinition',
  spec: {
    group: 'example.dev',
    names: { kind: 'Class' },
    versions: [
      {
        name: 'v1',
        served: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  controller: {
                    type: 'string',
                    'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'Value is immutable' }],
                  },
                  size: { type: 'integer', maximum: 3 },
                },
              },
            },
          },
        },
      },
    ],
  },
};

const klass = (name: string, controller: string, size = 1): RawObject => ({
  apiVersion: 'example.dev/v1',
  kind: 'Class',
  metadata: { name },
  spec: { controller, size },
});
const file = (path: string, ...objects: RawObject[]): ManifestFile => ({
  file: path,
  documents: objects.map((object, i) => ({ object, origin: `${path}:${i + 1}` })),
  errors: [],
});
const verdicts = (files: readonly ManifestFile[]) =>
  files.flatMap((f) => f.documents.map((d) => [d.origin, d.invalid ?? []]));

describe('readValidator', () => {
  it('marks the documents their CRD passed, and not those of a kind no CRD given defines', async () => {
    const validator = readValidator(crdValidator([CLASSES]));
    const other = { apiVersion: 'example.dev/v2', kind: 'Class', metadata: { name: 'v2' } };
    const unknown = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } };
    const [checked] = await validator.validate(
      [file('/a.yaml', klass('x', 'one'), klass('y', 'one', 9), other, unknown)],
      [],
    );
    expect(
      checked!.documents.map(({ crdChecked, invalid }) => ({ crdChecked, invalid: invalid?.length })),
    ).toEqual([
      { crdChecked: true, invalid: undefined },
      { crdChecked: undefined, invalid: 1 },
      { crdChecked: undefined, invalid: 1 },
      { crdChecked: undefined, invalid: undefined },
    ]);
  });

  it('marks refused documents and checks an edit as an update of the definition that passed before', async () => {
    const validator = readValidator(crdValidator([CLASSES]));
    expect(
      verdicts(await validator.validate([file('/a.yaml', klass('x', 'one'), klass('y', 'one', 9))], [])),
    ).toEqual([
      ['/a.yaml:1', []],
      ['/a.yaml:2', ['spec.size: Invalid value: 9: spec.size in body should be less than or equal to 3']],
    ]);
    // Changing the immutable field is refused; the refused definition is not the one compared with next.
    expect(verdicts(await validator.validate([file('/a.yaml', klass('x', 'two'))], []))).toEqual([
      ['/a.yaml:1', ['spec.controller: Invalid value: Value is immutable']],
    ]);
    expect(verdicts(await validator.validate([file('/a.yaml', klass('x', 'one', 2))], []))).toEqual([
      ['/a.yaml:1', []],
    ]);
    // Gone from its file (or the file removed), the object is created anew when defined again.
    await validator.validate([file('/a.yaml')], []);
    expect(verdicts(await validator.validate([file('/a.yaml', klass('x', 'two'))], []))).toEqual([
      ['/a.yaml:1', []],
    ]);
    await validator.validate([], ['/a.yaml']);
    expect(verdicts(await validator.validate([file('/b.yaml', klass('x', 'three'))], []))).toEqual([
      ['/b.yaml:1', []],
    ]);
  });
});
