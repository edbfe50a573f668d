import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  loadPrecompiledChecks,
  PRECOMPILED_FILE,
  runtimeSchemaCheck,
  type SchemaCheck,
  writePrecompiledChecks,
} from './schema-validators.ts';

// Beside the real file (the clone's git-ignored .cache/), where the generated code finds Ajv's runtime helpers.
mkdirSync(dirname(PRECOMPILED_FILE), { recursive: true });
const dir = mkdtempSync(join(dirname(PRECOMPILED_FILE), 'test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const V1 = 'gateway.networking.k8s.io/v1';
/** Objects each schema takes or refuses, for the problems each way of checking reports. */
const OBJECTS: readonly [string, object][] = [
  [
    `${V1}/GatewayClass`,
    { apiVersion: V1, kind: 'GatewayClass', metadata: { name: 'c' }, spec: { controllerName: 'a.io/b' } },
  ],
  [
    `${V1}/GatewayClass`,
    { apiVersion: V1, kind: 'GatewayClass', metadata: null, spec: { controllerName: '' } },
  ],
  [`${V1}/GatewayClass`, { apiVersion: V1, kind: 'GatewayClass', metadata: { name: 'c', labels: 'x' } }],
  [
    `${V1}/Gateway`,
    {
      apiVersion: V1,
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'd', creationTimestamp: 'yesterday' },
      spec: {
        gatewayClassName: 'c',
        addresses: [{ type: 'IPAddress', value: 7 }],
        listeners: [
          { name: 'http', protocol: 'HTTP', port: 70000, hostname: 'UPPER.example' },
          { port: 'x' },
        ],
      },
    },
  ],
  [`${V1}/Gateway`, { apiVersion: V1, kind: 'Gateway', metadata: { name: 'gw' }, spec: { listeners: [] } }],
  [
    `${V1}/HTTPRoute`,
    {
      apiVersion: V1,
      kind: 'HTTPRoute',
      metadata: { name: 'r', namespace: 'd' },
      spec: {
        parentRefs: [{ name: 'gw', port: -1 }],
        hostnames: ['*.ok.example', 'bad_host'],
        rules: [
          {
            matches: [{ path: { type: 'Regex', value: 7 }, headers: [{ name: '', value: 'v' }] }],
            backendRefs: [{ name: 'app', port: 8080, weight: -3 }],
            timeouts: { request: '1 minute' },
          },
        ],
      },
    },
  ],
  [`${V1}/HTTPRoute`, { apiVersion: V1, kind: 'HTTPRoute', metadata: { name: 'r' } }],
  // Undefined fields (the models' constructor drops them; the precompiled checks see them).
  [
    `${V1}/HTTPRoute`,
    {
      apiVersion: V1,
      kind: 'HTTPRoute',
      metadata: { name: 'r', namespace: undefined },
      spec: { hostnames: undefined, rules: [{ matches: undefined, backendRefs: [{ name: 'a', port: 0 }] }] },
    },
  ],
];

function problems(check: SchemaCheck, object: object): string {
  try {
    check(object);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('precompiled schema checks', () => {
  it('report exactly what the models compiling their schemas at run time report', () => {
    const file = join(dir, 'validators.cjs');
    writePrecompiledChecks(file);
    const precompiled = loadPrecompiledChecks(file);
    expect(precompiled?.size).toBe(3);
    let refused = 0;
    for (const [typeAndKind, object] of OBJECTS) {
      const expected = problems(runtimeSchemaCheck(typeAndKind), object);
      if (expected !== '') refused++;
      expect(problems(precompiled!.get(typeAndKind)!, object)).toBe(expected);
    }
    expect(refused).toBe(OBJECTS.length - 1);
  });

  it('are not used when written for other package versions, or missing', () => {
    const stale = join(dir, 'stale.cjs');
    writeFileSync(stale, 'exports.key = "ajv@0.0.0"; exports.validators = {};\n');
    expect(loadPrecompiledChecks(stale)).toBeUndefined();
    expect(loadPrecompiledChecks(join(dir, 'missing.cjs'))).toBeUndefined();
  });
});
