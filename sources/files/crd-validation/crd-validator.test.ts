import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RuleCompileError } from './crd-schemas.ts';
import { crdValidator } from './crd-validator.ts';
import { isIP } from './kubernetes-cel.ts';

// Our own small CRD, written for this test: one of each thing the validator reads.
const WIDGETS = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.dev' },
  spec: {
    group: 'example.dev',
    names: { kind: 'Widget', plural: 'widgets' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              spec: {
                type: 'object',
                'x-kubernetes-validations': [
                  { rule: 'self.mode == oldSelf.mode', message: 'mode is immutable' },
                  {
                    rule: "self.mode != 'Strict' || has(self.parts)",
                    message: 'Strict needs parts',
                    reason: 'FieldValueRequired',
                    fieldPath: '.parts',
                  },
                ],
                properties: {
                  mode: { type: 'string', default: 'Loose' },
                  size: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self <= 10' }] },
                  parts: {
                    type: 'array',
                    'x-kubernetes-validations': [
                      {
                        rule: 'self.all(p, self.exists_one(q, q.name == p.name))',
                        message: 'names must be unique',
                      },
                    ],
                    items: {
                      type: 'object',
                      'x-kubernetes-validations': [
                        {
                          rule: "self.kind == 'Pipe' ? self.path.startsWith('/') : true",
                          message: 'path must be absolute',
                        },
                      ],
                      properties: {
                        name: { type: 'string' },
                        kind: { type: 'string', default: 'Pipe' },
                        path: { type: 'string' },
                        host: {
                          type: 'string',
                          'x-kubernetes-validations': [{ rule: '!isIP(self)', message: 'no IPs' }],
                        },
                      },
                    },
                  },
                  labels: {
                    type: 'object',
                    additionalProperties: {
                      type: 'string',
                      'x-kubernetes-validations': [
                        {
                          rule: "self.matches('^(?i)[a-z]+$')",
                          messageExpression: "'bad label value ' + self",
                        },
                      ],
                    },
                  },
                },
              },
              status: { type: 'object', 'x-kubernetes-validations': [{ rule: 'false', message: 'never' }] },
            },
          },
        },
      },
    ],
  },
};

const validator = crdValidator([WIDGETS]);
const widget = (spec: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'example.dev/v1',
  kind: 'Widget',
  metadata: { name: 'w', namespace: 'default' },
  spec,
  ...extra,
});

describe('crdValidator', () => {
  it('accepts an object every rule passes, defaults applied first', () => {
    expect(validator.validate(widget({ parts: [{ name: 'a', path: '/x' }], labels: { a: 'Abc' } }))).toEqual(
      [],
    );
    expect(validator.ruleCount).toBe(8);
    expect(validator.kinds).toEqual(['Widget.example.dev']);
  });

  it('words each failure as the API server does, at the field the rule sits on', () => {
    expect(
      validator.validate(
        widget({
          mode: 'Strict',
          size: 11,
          labels: { x: 'a-b' },
        }),
      ),
    ).toEqual([
      'spec.parts: Required value: Strict needs parts',
      'spec.size: Invalid value: failed rule: self <= 10',
      'spec.labels[x]: Invalid value: bad label value a-b',
    ]);
  });

  it('evaluates rules on every item of a list, with the item defaulted', () => {
    expect(
      validator.validate(
        widget({
          parts: [
            { name: 'a', path: 'relative' },
            { name: 'a', kind: 'Wire', host: '10.0.0.1' },
          ],
        }),
      ),
    ).toEqual([
      'spec.parts: Invalid value: names must be unique',
      'spec.parts[0]: Invalid value: path must be absolute',
      'spec.parts[1].host: Invalid value: no IPs',
    ]);
  });

  it('names a CEL error with the rule that raised it', () => {
    expect(validator.validate(widget({ parts: [{ name: 'a' }] }))).toEqual([
      'spec.parts[0]: Invalid value: "object": no such key: path evaluating rule: path must be absolute',
    ]);
  });

  it('checks transition rules only against a previous object', () => {
    expect(validator.validate(widget({ mode: 'Other' }))).toEqual([]);
    expect(validator.comparesWithPrevious(widget({}))).toBe(true);
    expect(validator.validate(widget({ mode: 'Other' }), widget({}))).toEqual([
      'spec: Invalid value: mode is immutable',
    ]);
    expect(validator.validate(widget({ mode: 'Loose' }), widget({}))).toEqual([]);
  });

  it('reports values of the wrong type and runs no rule then', () => {
    expect(validator.validate(widget({ size: 'big', mode: 'Strict' }))).toEqual([
      'spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"',
      '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    ]);
  });

  it('ignores status (a subresource) and kinds it has no CRD for', () => {
    expect(validator.validate(widget({}, { status: { x: 1 } }))).toEqual([]);
    expect(validator.validate({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } })).toEqual([]);
  });

  it('refuses a version the CRD does not serve', () => {
    expect(validator.validate({ ...widget({}), apiVersion: 'example.dev/v2' })).toEqual([
      'apiVersion: example.dev/v2 is not a version of Widget its CustomResourceDefinition serves (v1)',
    ]);
  });

  it("reads isIP as Kubernetes' CEL library does", () => {
    expect(['10.0.0.1', '::1', '2001:db8::1'].map(isIP)).toEqual([true, true, true]);
    expect(['010.0.0.1', 'fe80::1%eth0', 'example.com', ''].map(isIP)).toEqual([false, false, false, false]);
  });

  it('refuses a CRD whose pattern or rule does not compile, naming where', () => {
    const withSpec = (spec: Record<string, unknown>) => ({
      ...WIDGETS,
      spec: {
        ...WIDGETS.spec,
        versions: [
          { name: 'v1', served: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec } } } },
        ],
      },
    });
    expect(() => crdValidator([withSpec({ type: 'string', pattern: '(' })])).toThrow(RuleCompileError);
    expect(() => crdValidator([withSpec({ type: 'string', pattern: '(' })])).toThrow(
      'Widget.example.dev/v1 .spec: pattern "(" does not compile',
    );
    expect(() =>
      crdValidator([withSpec({ type: 'string', 'x-kubernetes-validations': [{ rule: 'self ==' }] })]),
    ).toThrow(/Widget.example.dev\/v1: rule "self ==" does not compile/);
  });

  it('refuses, naming the error, an object a rule cannot be evaluated on', () => {
    const calling = crdValidator([
      {
        ...WIDGETS,
        spec: {
          ...WIDGETS.spec,
          versions: [
            {
              name: 'v1',
              served: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: { type: 'string', 'x-kubernetes-validations': [{ rule: 'notAFunction(self)' }] },
                  },
                },
              },
            },
          ],
        },
      },
    ]);
    expect(calling.validate(widget('x'))).toEqual([
      'spec: Invalid value: "string": unbound function: notAFunction evaluating rule: failed rule: notAFunction(self)',
    ]);
  });

  it('answers any value anywhere with problems that each name a field, never an exception (property)', () => {
    const anyJson = fc.jsonValue({ maxDepth: 4 });
    fc.assert(
      fc.property(
        fc.record(
          {
            mode: fc.oneof(anyJson, fc.constantFrom('Strict', 'Loose')),
            size: fc.oneof(anyJson, fc.integer()),
            parts: fc.oneof(
              anyJson,
              fc.array(
                fc.record(
                  { name: anyJson, kind: anyJson, path: anyJson, host: anyJson },
                  { requiredKeys: [] },
                ),
              ),
            ),
            labels: fc.oneof(anyJson, fc.dictionary(fc.string(), anyJson)),
          },
          { requiredKeys: [] },
        ),
        fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
        (spec, previous) => {
          const problems = validator.validate(
            widget(spec),
            previous === undefined ? undefined : widget(previous),
          );
          // A field path (map keys may hold any character) or the API server's <nil>, then what is wrong.
          for (const problem of problems) expect(problem).toMatch(/^(spec|<nil>)[^\n]*: \S/);
        },
      ),
      { numRuns: 500, seed: 15 },
    );
  });
});
