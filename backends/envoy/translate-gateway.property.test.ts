import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { envoyApi, TYPE_URL } from '../../protos/index.ts';
import { gatewayIR, secretKey, tlsMaterial } from './testdata/gateway-ir.ts';
import { randomPorts } from './testdata/random-ir.ts';
import { translateGateway } from './translate-gateway.ts';

describe('translateGateway on random IR', () => {
  it('never throws, and every resource it produces encodes as Envoy protobuf', () => {
    const api = envoyApi();
    const tls = tlsMaterial(secretKey('cert'), 'CERT', 'KEY');
    fc.assert(
      fc.property(randomPorts(), (random) => {
        const resources = translateGateway(gatewayIR(random), tls);
        const families: [string, Readonly<Record<string, unknown>>][] = [
          [TYPE_URL.listener, resources.listeners],
          [TYPE_URL.listener, resources.grpcListeners],
          [TYPE_URL.routeConfiguration, resources.routeConfigurations],
          [TYPE_URL.cluster, resources.clusters],
          [TYPE_URL.clusterLoadAssignment, resources.clusterLoadAssignments],
          [TYPE_URL.secret, resources.secrets],
        ];
        for (const [typeUrl, byName] of families) {
          for (const [name, json] of Object.entries(byName)) {
            expect(
              (json as { name?: string; clusterName?: string }).name ??
                (json as { clusterName?: string }).clusterName,
            ).toBe(name);
            api.encode(typeUrl, json);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
