import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ENVOY_GATEWAY_KINDS, ENVOY_PROXY_SPEC } from './envoy-gateway.ts';
import { envoyGatewayCrd, KIND_CRDS, POLICY_CRD_NAMES, policyCrd } from './envoy-gateway-crds.ts';
import { ENVOY_GATEWAY_POLICY_KINDS, SECURITY_POLICY_SPEC } from './envoy-gateway-policies.ts';
import { schemaProblems } from './field-schema.ts';

const CRDS = join(import.meta.dirname, '../../deploy/crds');
const header = (source: string) =>
  `# Generated from model/resources/${source} (our own schema text for Envoy Gateway v1.9 field names);\n` +
  '# model/resources/envoy-gateway-crds.test.ts checks it, SWITCHYARD_UPDATE_CRDS=1 rewrites it.\n';
const HEADER = header('envoy-gateway-policies.ts');

describe('Envoy Gateway policy CRDs', () => {
  for (const kind of ENVOY_GATEWAY_POLICY_KINDS) {
    it(`deploy/crds holds the ${kind} CRD generated from its schema`, () => {
      const file = join(CRDS, `${POLICY_CRD_NAMES[kind].plural}.gateway.envoyproxy.io.yaml`);
      const text = HEADER + stringify(policyCrd(kind), { lineWidth: 0 });
      if (process.env.SWITCHYARD_UPDATE_CRDS === '1') writeFileSync(file, text);
      expect(readFileSync(file, 'utf8')).toBe(text);
    });
  }

  for (const kind of ENVOY_GATEWAY_KINDS) {
    it(`deploy/crds holds the ${kind} CRD generated from its schema`, () => {
      const file = join(CRDS, `${KIND_CRDS[kind].plural}.gateway.envoyproxy.io.yaml`);
      const text = header('envoy-gateway.ts') + stringify(envoyGatewayCrd(KIND_CRDS[kind]), { lineWidth: 0 });
      if (process.env.SWITCHYARD_UPDATE_CRDS === '1') writeFileSync(file, text);
      expect(readFileSync(file, 'utf8')).toBe(text);
    });
  }

  it("names an EnvoyProxy's unknown fields, as the seeds' prometheus.enabled", () => {
    const spec = {
      telemetry: { metrics: { prometheus: { enabled: true } } },
      provider: {
        type: 'Kubernetes',
        kubernetes: { envoyDeployment: { replica: 2, pod: { affinity: { any: 1 } } } },
      },
    };
    expect(schemaProblems(spec, ENVOY_PROXY_SPEC, 'spec')).toEqual([
      'spec.telemetry.metrics.prometheus.enabled: unknown field',
      'spec.provider.kubernetes.envoyDeployment.replica: unknown field',
    ]);
  });

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

  it('names a field that shares its name with a built-in of objects (constructor) as unknown', () => {
    // Before: the schema lookup found Object.prototype's constructor and the check threw.
    expect(schemaProblems({ constructor: {}, toString: 1 }, SECURITY_POLICY_SPEC, 'spec')).toEqual([
      'spec.constructor: unknown field',
      'spec.toString: unknown field',
    ]);
  });
});
