// Which object of the IR each agentgateway resource comes from, by its delta-xDS name: a Route or TCPRoute from one
// rule of a route, a Listener from a listener, a Bind from the listeners of its port. agentgateway refuses single
// resources (refusals.ts); this is how its refusal reaches the route or listener a user wrote.
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import type { ResourceOrigin } from '../shared/backend-machine.ts';
import { modelRouteKey } from './ai.ts';
import { bindKey, listenerKey, resourceName, routeKey } from './names.ts';
import type { AgentgatewayResources } from './translate-gateway.ts';

export function resourceOrigins(
  ir: GatewayIR,
  resources: AgentgatewayResources,
): ReadonlyMap<string, ResourceOrigin> {
  const origins = new Map<string, ResourceOrigin>();
  for (const port of ir.ports) {
    const bind = bindKey(ir.gateway, port);
    // A Bind serves every listener of its port; its refusal is reported on the first (the rest share its fate).
    const first = port.listeners[0];
    if (first !== undefined && resources.binds[bind] !== undefined)
      origins.set(resourceName('bind', bind), { listener: { owner: first.owner, name: first.name } });
    for (const listener of port.listeners) {
      const key = listenerKey(bind, listener);
      if (resources.listeners[key] !== undefined)
        origins.set(resourceName('listener', key), {
          listener: { owner: listener.owner, name: listener.name },
        });
      for (const route of listener.routes) {
        // An AIGatewayRoute's ModelRoutes come from the rules of its spec (one per model).
        for (const rule of route.ai?.rules ?? []) {
          for (const model of rule.models) {
            const name = modelRouteKey(key, route, rule.index, model);
            if (resources.modelRoutes[name] !== undefined)
              origins.set(resourceName('modelroute', name), { route: route.route, rule: rule.index });
          }
        }
        for (const rule of route.rules) {
          const name = routeKey(key, route, rule.index);
          const family =
            resources.routes[name] !== undefined
              ? 'route'
              : resources.tcpRoutes[name] !== undefined
                ? 'tcproute'
                : undefined;
          if (family !== undefined)
            origins.set(resourceName(family, name), { route: route.route, rule: rule.index });
        }
      }
    }
  }
  return origins;
}
