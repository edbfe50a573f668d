import { describe, expect, it } from 'vitest';
import type { BackendIR } from '../../model/ir/gateway-ir.ts';
import { INFERENCE_GROUP, resourceKey } from '../../model/resources/resource-key.ts';
import { PICKER_FILTER } from './inference.ts';
import { encodeAll } from './testdata/encode-all.ts';
import { gatewayIR, listener, port, route, rule } from './testdata/gateway-ir.ts';
import { translateGateway } from './translate-gateway.ts';

function pool(
  name: string,
  picker?: { failureMode: 'FailOpen' | 'FailClose'; problem?: string },
  weight = 1,
): BackendIR {
  return {
    weight,
    kind: 'InferencePool',
    pool: resourceKey(INFERENCE_GROUP, 'InferencePool', 'default', name),
    targetPorts: [8000],
    selector: { app: name },
    endpoints: [
      { address: '10.0.0.1', port: 8000 },
      { address: '10.0.0.2', port: 8000 },
    ],
    ...(picker === undefined
      ? {}
      : {
          endpointPicker: {
            service: resourceKey('', 'Service', 'default', `${name}-epp`),
            port: 9002,
            failureMode: picker.failureMode,
            endpoints: [{ address: '10.0.1.1', port: 9002 }],
            ...(picker.problem === undefined ? {} : { problem: picker.problem }),
          },
        }),
  };
}

function translate(backends: BackendIR[]) {
  return translateGateway(
    gatewayIR([port(80, [listener('http', 'HTTP', [route('r', [rule(backends)])])])]),
    {},
  );
}

// biome-ignore lint/suspicious/noExplicitAny: generated proto3 JSON is walked field by field
type Json = Record<string, any>;
const httpFilters = (resources: ReturnType<typeof translate>): Json[] =>
  (resources.listeners['tcp/80'] as Json).filterChains[0].filters[0].typedConfig.httpFilters;
const routeOf = (resources: ReturnType<typeof translate>): Json =>
  (resources.routeConfigurations['http/80'] as Json).virtualHosts[0].routes[0];

describe('InferencePool backends on Envoy', () => {
  it('load-balances a pool without picker over its endpoints, with no ext_proc filter', () => {
    const resources = translate([pool('plain')]);
    expect(httpFilters(resources).map((f) => f.name)).not.toContain(PICKER_FILTER);
    expect(resources.clusters['pool/default/plain']).toMatchObject({ type: 'EDS' });
    expect(resources.clusters['pool/default/plain']).not.toHaveProperty('lbSubsetConfig');
    const lb = (resources.clusterLoadAssignments['pool/default/plain'] as Json).endpoints[0].lbEndpoints;
    expect(lb.map((e: Json) => e.endpoint.address.socketAddress.portValue)).toEqual([8000, 8000]);
    expect(routeOf(resources).route).toEqual({ cluster: 'pool/default/plain' });
  });

  it('sends a picker pool through its ext_proc filter, picker cluster and endpoint subsets', () => {
    const resources = translate([
      pool('a', { failureMode: 'FailOpen' }, 3),
      pool('b', { failureMode: 'FailClose' }, 1),
    ]);
    const filters = httpFilters(resources);
    expect(filters.map((f) => f.name)).toEqual([
      'envoy.filters.http.header_to_metadata',
      PICKER_FILTER,
      'envoy.filters.http.cors',
      'envoy.filters.http.router',
    ]);
    const open = filters.find((f) => f.name === PICKER_FILTER)!;
    expect(open).toMatchObject({
      disabled: true,
      typedConfig: {
        failureModeAllow: true,
        processingMode: { requestHeaderMode: 'SEND', requestBodyMode: 4, requestTrailerMode: 'SEND' },
        routeCacheAction: 'RETAIN',
        metadataOptions: {
          forwardingNamespaces: { untyped: ['envoy.lb.subset_hint'] },
          receivingNamespaces: { untyped: ['envoy.lb'] },
        },
      },
    });
    const weighted = routeOf(resources).route.weightedClusters.clusters;
    expect(weighted.map((c: Json) => [c.name, c.weight])).toEqual([
      ['pool/default/a', 3],
      ['pool/default/b', 1],
    ]);
    expect(weighted[0].typedPerFilterConfig[PICKER_FILTER].config.overrides.grpcService).toEqual({
      envoyGrpc: { clusterName: 'epp/default/a-epp/9002', authority: 'a-epp.default.svc:9002' },
    });
    expect(weighted[1].typedPerFilterConfig).toHaveProperty([PICKER_FILTER]);
    expect(resources.clusters['pool/default/a']).toMatchObject({
      lbSubsetConfig: {
        fallbackPolicy: 'ANY_ENDPOINT',
        subsetSelectors: [{ keys: ['x-gateway-destination-endpoint'] }],
      },
    });
    expect(resources.clusters['pool/default/b']).toMatchObject({
      lbSubsetConfig: { fallbackPolicy: 'NO_FALLBACK' },
    });
    expect(
      (resources.clusterLoadAssignments['pool/default/a'] as Json).endpoints[0].lbEndpoints[1].metadata,
    ).toEqual({
      filterMetadata: { 'envoy.lb': { 'x-gateway-destination-endpoint': '10.0.0.2:8000' } },
    });
    expect(resources.clusters['epp/default/a-epp/9002']).toMatchObject({ type: 'STATIC' });
    // Every resource encodes with the Envoy API protos (what the ADS server sends).
    encodeAll(resources);
  });

  it('answers 500 for the share of a pool whose picker reference is invalid', () => {
    const resources = translate([
      pool('bad', { failureMode: 'FailClose', problem: 'Service default/bad-epp not found' }),
    ]);
    expect(routeOf(resources)).toMatchObject({ directResponse: { status: 500 } });
    expect(Object.keys(resources.clusters)).not.toContain('epp/default/bad-epp/9002');
  });
});
