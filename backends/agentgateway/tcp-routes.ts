// TCPRoutes and TLSRoutes: one agentgateway TCPRoute per (listener, route, rule). A TLSRoute carries the SNI
// hostnames it serves on its listener; a TCPRoute none.
import type { RouteIR } from '../../model/ir/gateway-ir.ts';
import type { BackendSet } from './backends.ts';
import { routeKey, routeName } from './names.ts';
import type { Json } from './types.ts';

export function translateTcpRoute(route: RouteIR, listenerKey: string, backends: BackendSet): Json[] {
  return route.rules.map((rule) => {
    const key = routeKey(listenerKey, route, rule.index);
    return {
      key,
      listenerKey,
      name: routeName(route, rule),
      ...(route.kind === 'TLSRoute' && route.hostnames.length > 0 ? { hostnames: [...route.hostnames] } : {}),
      backends: backends.routeBackends(rule.backends, key, () => [], false, {
        route: route.route,
        rule: rule.index,
      }),
    };
  });
}
