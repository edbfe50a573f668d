import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { POLICY_CRD_NAMES, policyCrd } from './envoy-gateway-crds.ts';
import { ENVOY_GATEWAY_POLICY_KINDS, SECURITY_POLICY_SPEC } from './envoy-gateway-policies.ts';
import { schemaProblems } from './field-schema.ts';

const CRDS = join(import.meta.dirname, '../../deploy/crds');
const HEADER =
  '# Generated from model/resources/envoy-gateway-policies.ts (our own schema text for Envoy Gateway v1.9 field names);\n' +
  '# model/resources/envoy-gateway-crds.test.ts checks it, SWITCHYARD_UPDATE_CRDS=1 rewrites it.\n';

describe('Envoy Gateway policy CRDs', () => {
  for (const kind of ENVOY_GATEWAY_POLICY_KINDS) {
    it(`deploy/crds holds the ${kind} CRD generated from its schema`, () => {
      const file = join(CRDS, `${POLICY_CRD_NAMES[kind].plural}.gateway.envoyproxy.io.yaml`);
      const text = HEADER + stringify(policyCrd(kind), { lineWidth: 0 });
      if (process.env.SWITCHYARD_UPDATE_CRDS === '1') writeFileSync(file, text);
      expect(readFileSync(file, 'utf8')).toBe(text);
    });
  }

  it('names unknown fields and wrong types by path, as strict field validation would', () => {
    const spec = {
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'r' }],
      jwt: { providers: [{ name: 'p', remoteJWKS: { uri: 'https://x/jwks', cacheDurationz: '5s' } }] },
      cors: { allowCredentials: 'yes' },
      authorisation: {},
    };
    expect(schemaProblems(spec, SECURITY_POLICY_SPEC, 'spec')).toEqual([
      'spec.jwt.providers[0].remoteJWKS.cacheDurationz: unknown field',
      'spec.cors.allowCredentials: must be true or false',
      'spec.authorisation: unknown field',
    ]);
  });
});
