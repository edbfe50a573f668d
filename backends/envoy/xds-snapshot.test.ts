import { describe, expect, it } from 'vitest';
import { envoyApi, TYPE_URL } from '../../protos/index.ts';
import type { EnvoyResources } from './translate-gateway.ts';
import { encodeSnapshot } from './xds-snapshot.ts';

/** A RouteConfiguration of `count` routes over two virtual hosts; route `changed` gets another path. */
function routeConfiguration(count: number, changed = -1): Record<string, unknown> {
  const route = (i: number) => ({
    name: `ns/r${i}/rule/0/match/0`,
    match: {
      prefix: i === changed ? `/changed/${i}` : `/r/${i}`,
      headers: [{ name: 'x-route', stringMatch: { exact: `r${i}` } }],
    },
    route: { cluster: `svc-${i % 7}`, timeout: '15s' },
    ...(i % 3 === 0
      ? {
          typedPerFilterConfig: {
            'envoy.filters.http.rbac': {
              '@type': 'type.googleapis.com/envoy.config.route.v3.FilterConfig',
              disabled: true,
            },
          },
        }
      : {}),
  });
  return {
    name: 'http-80',
    ignorePortInHostMatching: true,
    virtualHosts: [
      { name: '*', domains: ['*'], routes: Array.from({ length: count }, (_, i) => route(i)) },
      { name: 'a.example.com', domains: ['a.example.com'], routes: [route(count)] },
    ],
  };
}

function snapshotOf(
  revision: number,
  json: Record<string, unknown>,
  previous?: ReturnType<typeof encodeSnapshot>,
) {
  const resources = {
    secrets: {},
    clusters: {},
    clusterLoadAssignments: {},
    listeners: {},
    routeConfigurations: { 'http-80': json },
    grpcListeners: {},
  } as unknown as EnvoyResources;
  return encodeSnapshot(revision, resources, previous);
}

describe('encodeSnapshot', () => {
  it('encodes a RouteConfiguration of many routes from per-route bytes that decode as the whole encoded at once', () => {
    const api = envoyApi();
    const decoded = (snapshot: ReturnType<typeof encodeSnapshot>) =>
      api.unpack(snapshot.types.get(TYPE_URL.routeConfiguration)!.get('http-80')!.any);
    for (const count of [3, 200]) {
      const first = snapshotOf(1, routeConfiguration(count));
      expect(decoded(first)).toEqual(
        api.unpack(api.pack(TYPE_URL.routeConfiguration, routeConfiguration(count))),
      );
      // The next revision changes one route: encoded from the previous one's routes, it still decodes alike.
      const second = snapshotOf(2, routeConfiguration(count, 1), first);
      expect(decoded(second)).toEqual(
        api.unpack(api.pack(TYPE_URL.routeConfiguration, routeConfiguration(count, 1))),
      );
      expect(decoded(second)).not.toEqual(decoded(first));
      // The next one holds the same route objects as the second but one, moved to the end and replaced: the kept
      // objects' bytes are taken as they are, the new one's encoded.
      const before = routeConfiguration(count, 1) as { virtualHosts: { routes: unknown[] }[] };
      const [host, ...otherHosts] = before.virtualHosts;
      const moved = {
        ...before,
        virtualHosts: [
          { ...host!, routes: [...host!.routes.slice(1), { ...(host!.routes[0] as object), name: 'moved' }] },
          ...otherHosts,
        ],
      };
      const third = snapshotOf(3, moved, snapshotOf(2, before, first));
      expect(decoded(third)).toEqual(api.unpack(api.pack(TYPE_URL.routeConfiguration, moved)));
    }
  });

  it('versions a RouteConfiguration of many routes by its bytes: the same content keeps its resource and version', () => {
    const resourceOf = (snapshot: ReturnType<typeof encodeSnapshot>) =>
      snapshot.types.get(TYPE_URL.routeConfiguration)!.get('http-80')!;
    const first = snapshotOf(1, routeConfiguration(200));
    // Equal content built anew: the resource of the revision before, as it was (a delta stream sends nothing).
    const same = snapshotOf(2, routeConfiguration(200), first);
    expect(resourceOf(same)).toBe(resourceOf(first));
    const changed = snapshotOf(3, routeConfiguration(200, 7), same);
    expect(resourceOf(changed).version).not.toBe(resourceOf(first).version);
    // Changed back: the first version again (a reconnecting proxy's initial_resource_versions still match).
    expect(resourceOf(snapshotOf(4, routeConfiguration(200), changed)).version).toBe(
      resourceOf(first).version,
    );
  });
});
