import { describe, expect, it } from 'vitest';
import type { AnyResource } from '../resources/kinds.ts';
import { ANY_NAME, formatResourceKey } from '../resources/resource-key.ts';
import { readManifests } from '../testdata/fixtures.ts';
import { changedKeysOf, dependenciesOf } from './dependencies.ts';

const objects = readManifests(
  'base.yaml',
  'gatewayclass.yaml',
  'gateways-secret-grants.yaml',
  'http-routes.yaml',
  'http-route-backends.yaml',
  'http-route-rules.yaml',
  'listener-sets.yaml',
);
const find = (kind: string, name: string): AnyResource => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name}`);
  return found;
};
const depsOf = (kind: string, name: string) => dependenciesOf(find(kind, name)).map(formatResourceKey);

describe('dependenciesOf', () => {
  it('links a GatewayClass to its parameters', () => {
    expect(depsOf('GatewayClass', 'with-parameters')).toEqual([
      'switchyard.dev/GatewayClassParameters//agentgateway-small',
    ]);
  });

  it('links a Gateway to its class, certificate Secrets, grants, ListenerSets and its provisioned Service', () => {
    expect(depsOf('Gateway', 'remote-certificate')).toEqual([
      'core/Secret/backends/shared-tls',
      'core/Service/infra/switchyard-remote-certificate',
      `gateway.networking.k8s.io/GatewayClass//switchyard`,
      `gateway.networking.k8s.io/ListenerSet//${ANY_NAME}`,
      `gateway.networking.k8s.io/ReferenceGrant/backends/${ANY_NAME}`,
    ]);
  });

  it('links a Gateway with namespace selectors to every Namespace', () => {
    expect(depsOf('Gateway', 'web')).toContain(`core/Namespace//${ANY_NAME}`);
  });

  it('links a route to its namespace, parents, backends, mirror backends and grants', () => {
    expect(depsOf('HTTPRoute', 'two-parents')).toEqual([
      'core/Namespace//infra',
      'core/Service/infra/web',
      'gateway.networking.k8s.io/Gateway/infra/foreign',
      'gateway.networking.k8s.io/Gateway/infra/no-such-gateway',
      'gateway.networking.k8s.io/Gateway/infra/web',
    ]);
    expect(depsOf('HTTPRoute', 'other-namespace')).toContain(
      `gateway.networking.k8s.io/ReferenceGrant/backends/${ANY_NAME}`,
    );
    expect(depsOf('HTTPRoute', 'all-the-supported-things')).toContain('core/Service/infra/web-v2');
    expect(depsOf('HTTPRoute', 'on-team-a')).toContain('gateway.networking.k8s.io/ListenerSet/apps/team-a');
  });

  it('links a ListenerSet to its parent Gateway and namespace', () => {
    expect(depsOf('ListenerSet', 'team-a')).toEqual([
      'core/Namespace//apps',
      'gateway.networking.k8s.io/Gateway/infra/shared',
    ]);
  });

  it('looks up an EndpointSlice change under its Service too', () => {
    expect(changedKeysOf(find('EndpointSlice', 'web-abc')).map(formatResourceKey)).toEqual([
      'discovery.k8s.io/EndpointSlice/infra/web-abc',
      'core/Service/infra/web',
    ]);
    expect(changedKeysOf(find('Service', 'web')).map(formatResourceKey)).toEqual(['core/Service/infra/web']);
  });

  it('returns nothing for objects that depend on nothing, and survives junk', () => {
    expect(dependenciesOf(find('Namespace', 'apps'))).toEqual([]);
    const junk = { kind: 'HTTPRoute', spec: { rules: 'nope', parentRefs: [null] } } as unknown as AnyResource;
    expect(dependenciesOf(junk).map(formatResourceKey)).toEqual([
      'core/Namespace//',
      'gateway.networking.k8s.io/Gateway//',
    ]);
  });
});
