import { describe, expect, test } from 'vitest';
import { aggregatedDiscoveryService, type DiscoveryResponse } from './aggregated-discovery-service.ts';
import { envoyApi } from './envoy-api.ts';
import { TYPE_URL } from './type-urls.ts';

describe('aggregatedDiscoveryService', () => {
  const service = aggregatedDiscoveryService();

  test('describes both ADS streams as bidirectional', () => {
    expect(service.StreamAggregatedResources.path).toBe(
      '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
    );
    expect(service.DeltaAggregatedResources.path).toBe(
      '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources',
    );
    for (const method of [service.StreamAggregatedResources, service.DeltaAggregatedResources]) {
      expect(method.requestStream).toBe(true);
      expect(method.responseStream).toBe(true);
    }
  });

  test('carries resources packed from proto3 JSON through the wire', () => {
    const cluster = { name: 'echo', type: 'EDS', connectTimeout: '2s' };
    const response: DiscoveryResponse = {
      version_info: '3',
      resources: [envoyApi().pack(TYPE_URL.cluster, cluster)],
      type_url: TYPE_URL.cluster,
      nonce: '7',
    };
    const method = service.StreamAggregatedResources;
    const received = method.responseDeserialize(method.responseSerialize(response));
    expect(received).toMatchObject({ version_info: '3', type_url: TYPE_URL.cluster, nonce: '7' });
    expect(envoyApi().unpack(received.resources[0]!)).toEqual(cluster);
  });

  test('decodes a NACK with its error and every absent field filled in', () => {
    const method = service.DeltaAggregatedResources;
    const bytes = method.requestSerialize({
      node: null,
      type_url: TYPE_URL.listener,
      resource_names_subscribe: [],
      resource_names_unsubscribe: [],
      initial_resource_versions: {},
      response_nonce: '4',
      error_detail: { code: 3, message: 'bad listener', details: [] },
    });
    expect(method.requestDeserialize(bytes)).toEqual({
      node: null,
      type_url: TYPE_URL.listener,
      resource_names_subscribe: [],
      resource_names_unsubscribe: [],
      resource_locators_subscribe: [],
      resource_locators_unsubscribe: [],
      initial_resource_versions: {},
      response_nonce: '4',
      error_detail: { code: 3, message: 'bad listener', details: [] },
    });
  });
});
