import { describe, expect, it } from 'vitest';
import { crdValidator } from './crd-validator.ts';

// Our own small CRD, written for this test: v1 with a rule that compiles, v2 with one that does not.
const versionWith = (name: string, rule: string) => ({
  name,
  served: true,
  schema: {
    openAPIV3Schema: {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: { size: { type: 'integer', maximum: 10 } },
          'x-kubernetes-validations': [{ rule, message: 'size must be even' }],
        },
      },
    },
  },
});
const GIZMOS = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gizmos.example.dev' },
  spec: {
    group: 'example.dev',
    names: { kind: 'Gizmo', plural: 'gizmos' },
    scope: 'Namespaced',
    versions: [versionWith('v1', 'self.size % 2 == 0'), versionWith('v2', 'self.size ==')],
  },
};
const gizmo = (version: string, size: unknown) => ({
  apiVersion: `example.dev/${version}`,
  kind: 'Gizmo',
  metadata: { name: 'g', namespace: 'default' },
  spec: { size },
});

describe('crdValidator with CRDs compiled on first use', () => {
  it('checks each version of a kind as one compiled at once does, compiling it when its first object comes', () => {
    const now = crdValidator([{ ...GIZMOS, spec: { ...GIZMOS.spec, versions: [GIZMOS.spec.versions[0]] } }]);
    const later = crdValidator([GIZMOS], { later: new Set([GIZMOS]) });
    expect(later.kinds).toEqual(['Gizmo.example.dev']);
    for (const size of [2, 3, 12, 'x'])
      expect(later.validate(gizmo('v1', size))).toEqual(now.validate(gizmo('v1', size)));
    expect(later.validate(gizmo('v1', 3))).toEqual(['spec: Invalid value: size must be even']);
    expect(later.comparesWithPrevious(gizmo('v1', 2))).toBe(false);
  });

  it('refuses, naming the rule, every object of a version whose rule does not compile, and only those', () => {
    const later = crdValidator([GIZMOS], { later: new Set([GIZMOS]) });
    expect(later.validate(gizmo('v1', 2))).toEqual([]);
    for (let i = 0; i < 2; i++) {
      expect(later.comparesWithPrevious(gizmo('v2', 2))).toBe(false);
      const problems = later.validate(gizmo('v2', 2));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(
        /^\(object\): cannot be checked against its CustomResourceDefinition: Gizmo\.example\.dev\/v2: rule "self\.size ==" does not compile: /,
      );
    }
    expect(later.validate(gizmo('v1', 3))).toEqual(['spec: Invalid value: size must be even']);
    expect(() => later.ruleCount).toThrow(/Gizmo\.example\.dev\/v2: rule "self\.size ==" does not compile/);
  });

  it('counts the rules of every CRD, compiling what was left for later', () => {
    const v1Only = { ...GIZMOS, spec: { ...GIZMOS.spec, versions: [GIZMOS.spec.versions[0]] } };
    expect(crdValidator([v1Only], { later: new Set([v1Only]) }).ruleCount).toBe(
      crdValidator([v1Only]).ruleCount,
    );
  });
});
