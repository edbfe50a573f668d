// Keys of the agentgateway resources one Gateway translates to. Children name their parent by key (Listener →
// Bind, Route → Listener); every key is unique within the Gateway and stable across revisions, so an unchanged
// resource keeps its key and its version. The delta-xDS resource name is `<family>/<key>`.
import type { ListenerIR, PortIR, RouteIR, RuleIR } from '../../model/ir/gateway-ir.ts';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import type { Json } from './types.ts';

export type Family =
  | 'bind'
  | 'listener'
  | 'route'
  | 'tcproute'
  | 'backend'
  | 'service'
  | 'workload'
  | 'modelroute';

/** `<port>/<namespace>/<gateway>`. */
export function bindKey(gateway: ResourceKey, port: PortIR): string {
  return `${port.port}/${gateway.namespace ?? ''}/${gateway.name}`;
}

/** The bind key, then the listener's owner (Gateway or ListenerSet) and name. */
export function listenerKey(bind: string, listener: ListenerIR): string {
  const owner = listener.owner;
  return `${bind}/${owner.kind}/${owner.namespace ?? ''}/${owner.name}/${listener.name}`;
}

/** The listener key, then the route and the index of its rule. */
export function routeKey(listener: string, route: RouteIR, ruleIndex: number): string {
  const key = route.route;
  return `${listener}/${route.kind}/${key.namespace ?? ''}/${key.name}/${ruleIndex}`;
}

/** The RouteName of a Route or TCPRoute: the Gateway API route, and its rule when the rule is named. */
export function routeName(route: RouteIR, rule: RuleIR): Json {
  return {
    kind: route.kind,
    name: route.route.name,
    namespace: route.route.namespace ?? '',
    ...(rule.name === undefined ? {} : { ruleName: rule.name }),
  };
}

/** One ready endpoint of a Service port: `service/<ns>/<name>/<port>/<address>:<targetPort>`. */
export function endpointBackendKey(service: ResourceKey, port: number, endpoint: string): string {
  return `service/${service.namespace ?? ''}/${service.name}/${port}/${endpoint}`;
}

/**
 * A backend key nothing publishes: agentgateway answers requests routed to it with 500 (backend does not exist),
 * which is what the spec asks for the share of an invalid backendRef.
 */
export function unavailableBackendKey(route: string, why: string): string {
  return `unavailable/${route}/${why}`;
}

/** The delta-xDS resource name of a resource. */
export function resourceName(family: Family, key: string): string {
  return `${family}/${key}`;
}
