// A Gateway's agentgateway resources encoded for the wire, once per publish: each Resource's Any under its
// delta-xDS name (`<family>/<key>`) with a version that is a hash of its content, so an unchanged resource keeps
// its version across revisions and a delta stream resends only what changed.
import { AGENTGATEWAY_TYPE_URL, agentgatewayApi } from '../../protos/agentgateway-api.ts';
import { contentVersion, type Snapshot, type XdsResource, type XdsResources } from '../shared/snapshot.ts';
import { type Family, resourceName } from './names.ts';
import type { AgentgatewayResources } from './translate-gateway.ts';

export type { XdsResource, XdsResources };

/** Per type URL, the resources a proxy subscribing to everything gets (Address: none, see docs). */
export type AgentgatewaySnapshot = Snapshot;

/** Resource oneof field per family. */
const ONEOF: Readonly<Record<Family, string>> = {
  bind: 'bind',
  listener: 'listener',
  route: 'route',
  tcproute: 'tcpRoute',
  backend: 'backend',
  service: 'service',
  workload: 'workload',
  modelroute: 'modelRoute',
};

export function encodeSnapshot(
  revision: number,
  resources: AgentgatewayResources,
  previous?: AgentgatewaySnapshot,
): AgentgatewaySnapshot {
  const families: [Family, Readonly<Record<string, unknown>>][] = [
    ['bind', resources.binds],
    ['listener', resources.listeners],
    ['route', resources.routes],
    ['tcproute', resources.tcpRoutes],
    ['backend', resources.backends],
    ['service', resources.services],
    ['workload', resources.workloads],
    ['modelroute', resources.modelRoutes],
  ];
  const api = agentgatewayApi();
  const old = previous?.types.get(AGENTGATEWAY_TYPE_URL.resource);
  const out = new Map<string, XdsResource>();
  for (const [family, byKey] of families) {
    for (const [key, json] of Object.entries(byKey)) {
      const name = resourceName(family, key);
      const resource = { [ONEOF[family]]: json };
      const version = contentVersion(resource);
      const kept = old?.get(name);
      out.set(
        name,
        kept !== undefined && kept.version === version
          ? kept
          : { name, version, any: api.packResource(resource) },
      );
    }
  }
  return {
    revision,
    types: new Map<string, XdsResources>([
      [AGENTGATEWAY_TYPE_URL.resource, out],
      [AGENTGATEWAY_TYPE_URL.address, new Map()],
    ]),
  };
}

export const EMPTY_RESOURCES: AgentgatewayResources = {
  binds: {},
  listeners: {},
  routes: {},
  tcpRoutes: {},
  backends: {},
  services: {},
  workloads: {},
  modelRoutes: {},
  problems: [],
  unsupported: [],
};
