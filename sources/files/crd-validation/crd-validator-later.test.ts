import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { crdValidator } from './crd-validator.ts';
import { CEL_LOADED_HOOK, crdOf } from './testdata/crd-tests.ts';

const sizeSpec = (rule: string) => ({
  type: 'object',
  properties: { size: { type: 'integer', maximum: 10 } },
  'x-kubernetes-validations': [{ rule, message: 'size must be even' }],
});
/** v1 with a rule that compiles, v2 with one that does not. */
const GIZMOS = crdOf('Gizmo', { v1: sizeSpec('self.size % 2 == 0'), v2: sizeSpec('self.size ==') });
/** An optional `spec.range` with a rule on it, and an optional `spec.label`. */
const widgetCrd = (rangeRule?: { rule: string; message: string }, label: object = { type: 'string' }) =>
  crdOf('Widget', {
    v1: {
      type: 'object',
      properties: {
        label,
        range: {
          type: 'object',
          properties: { min: { type: 'integer' }, max: { type: 'integer' } },
          ...(rangeRule === undefined ? {} : { 'x-kubernetes-validations': [rangeRule] }),
        },
      },
    },
  });
const widget = ({ name, ...spec }: { name: string; range?: object; label?: string }) => ({
  apiVersion: 'example.dev/v1',
  kind: 'Widget',
  metadata: { name, namespace: 'default' },
  spec,
});
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

  it('enforces a rule on a field only a later object sets, compiled when that object needs it', () => {
    const widgets = widgetCrd({ rule: 'self.max >= self.min', message: 'max must not be below min' });
    const later = crdValidator([widgets], { later: new Set([widgets]) });
    const now = crdValidator([widgets]);
    const objects = [widget({ name: 'plain' }), widget({ name: 'ranged', range: { min: 5, max: 1 } })];
    for (const object of objects) expect(later.validate(object)).toEqual(now.validate(object));
    expect(later.validate(objects[1]!)).toEqual(['spec.range: Invalid value: max must not be below min']);
    expect(later.validate(widget({ name: 'ok', range: { min: 1, max: 5 } }))).toEqual([]);
  });

  it('reports a rule that does not compile when it is first needed, naming the CRD and the rule, and refuses every later object of that version', () => {
    const widgets = widgetCrd({ rule: 'self.max >=', message: 'max must not be below min' });
    const later = crdValidator([widgets], { later: new Set([widgets]) });
    // Nothing yet needed the rule on spec.range.
    expect(later.validate(widget({ name: 'plain' }))).toEqual([]);
    const broken =
      /^\(object\): cannot be checked against its CustomResourceDefinition: Widget\.example\.dev\/v1: rule "self\.max >=" does not compile: /;
    const needing = later.validate(widget({ name: 'ranged', range: { min: 1, max: 5 } }));
    expect(needing).toHaveLength(1);
    expect(needing[0]).toMatch(broken);
    // The version cannot be enforced as written: an object that would not need the rule is refused as well.
    const after = later.validate(widget({ name: 'plain-again' }));
    expect(after).toHaveLength(1);
    expect(after[0]).toMatch(broken);
  });

  it('reports a pattern that does not compile when it is first matched, naming the CRD, field and pattern', () => {
    const widgets = widgetCrd(undefined, { type: 'string', pattern: '(' });
    const later = crdValidator([widgets], { later: new Set([widgets]) });
    expect(later.validate(widget({ name: 'plain' }))).toEqual([]);
    const problems = later.validate(widget({ name: 'labelled', label: 'x' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^\(object\): cannot be checked against its CustomResourceDefinition: Widget\.example\.dev\/v1 \.spec\.label: pattern "\(" does not compile: /,
    );
    expect(later.validate(widget({ name: 'plain-again' }))).toEqual(problems);
  });

  it('checks a kind whose CRD has no rules without loading the CEL library (a new process, as a run starts)', () => {
    const plain = widgetCrd(undefined, { type: 'string', maxLength: 3 });
    const script = `${CEL_LOADED_HOOK}
      const { crdValidator } = await import(${JSON.stringify(new URL('./crd-validator.ts', import.meta.url).href)});
      const crds = ${JSON.stringify([plain, GIZMOS])};
      const validator = crdValidator(crds, { later: new Set(crds) });
      const widget = validator.validate(${JSON.stringify(widget({ name: 'w', label: 'long' }))});
      const before = celLoaded;
      const gizmo = validator.validate(${JSON.stringify(gizmo('v1', 3))});
      console.log(JSON.stringify({ widget, before, gizmo, after: celLoaded }));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      widget: ['spec.label: Too long: may not be more than 3 bytes'],
      before: false,
      gizmo: ['spec: Invalid value: size must be even'],
      after: true,
    });
  });

  it('counts the rules of every CRD, compiling what was left for later', () => {
    const v1Only = { ...GIZMOS, spec: { ...GIZMOS.spec, versions: [GIZMOS.spec.versions[0]] } };
    expect(crdValidator([v1Only], { later: new Set([v1Only]) }).ruleCount).toBe(
      crdValidator([v1Only]).ruleCount,
    );
  });
});
