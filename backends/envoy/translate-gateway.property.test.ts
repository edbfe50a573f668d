import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import { envoyApi, TYPE_URL } from '../../protos/index.ts';
import {
  gatewayIR,
  listener,
  port,
  route,
  rule,
  secretKey,
  service,
  tlsMaterial,
} from './testdata/gateway-ir.ts';
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

describe('translateGateway with RouteIRs translated before', () => {
  // Routes are translated once per RouteIR object and listener (routes.ts, `translatedRoute`): what a Gateway's
  // translation takes from there must be exactly what translating copies of the same IR gives — the same resources,
  // in the same order, the same clusters — whichever listener, port or Gateway the route was translated for before.
  it('gives what a translation of a copy of the IR gives', () => {
    const tls = tlsMaterial(secretKey('cert'), 'CERT', 'KEY');
    const text = (ir: GatewayIR) => JSON.stringify(translateGateway(ir, tls));
    fc.assert(
      fc.property(randomPorts(), randomPorts(), fc.boolean(), (before, after, certificate) => {
        const first = gatewayIR(before);
        translateGateway(first, tls);
        // The routes of the first IR, on the listeners of the second (its own routes kept, in between).
        const moved = first.ports.flatMap((p) => p.listeners.flatMap((l) => l.routes));
        const mixed: GatewayIR = {
          ...gatewayIR(
            after.map((p, i) => ({
              ...p,
              listeners: p.listeners.map((l, j) => ({
                ...l,
                routes: [...moved.filter((_, k) => (k + i + j) % 2 === 0), ...l.routes],
              })),
            })),
          ),
          ...(certificate ? { backendClientCertificate: { secret: secretKey('cert') } } : {}),
        };
        expect(text(mixed)).toBe(text(structuredClone(mixed)));
        expect(text(first)).toBe(text(structuredClone(first)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('translateGateway of one RouteIR on another port', () => {
  it('gives the redirect of that port, not the one translated before', () => {
    const redirecting = route('r', [
      rule([service('app', [9000])], {
        filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'elsewhere.test' } }],
      }),
    ]);
    const redirectOf = (portNumber: number) => {
      const translated = translateGateway(
        gatewayIR([port(portNumber, [listener('http', 'HTTP', [redirecting])])]),
        {},
      );
      const config = Object.values(translated.routeConfigurations)[0] as {
        virtualHosts: { routes: { redirect: unknown }[] }[];
      };
      return config.virtualHosts[0]!.routes[0]!.redirect;
    };
    expect(redirectOf(8080)).toEqual({
      responseCode: 'FOUND',
      hostRedirect: 'elsewhere.test',
      portRedirect: 8080,
    });
    expect(redirectOf(9090)).toEqual({
      responseCode: 'FOUND',
      hostRedirect: 'elsewhere.test',
      portRedirect: 9090,
    });
  });
});
