// Which data planes serve an AIGatewayRoute's parents. AI routes pass the ext_proc service, which only the Envoy
// backend runs: on a Gateway whose class chooses agentgateway, an AIGatewayRoute is not served (agentgateway
// answers its requests 501, backends/agentgateway/routes.ts), and its status says so.

import { resolveGatewayClassParameters } from '../gateway-api/gateway-class.ts';
import type { RouteEvaluation } from '../gateway-api/route-status.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import type { Problem } from './statuses.ts';

/** The accepting parent Gateways whose class chooses agentgateway (`Gateway ns/name`), in parent order. */
export function agentgatewayParents(http: RouteEvaluation, view: ResourceView): string[] {
  const out: string[] = [];
  for (const parent of http.parents) {
    if (!parent.accepted) continue;
    const gateway = view.get('Gateway', parent.gateway.namespace, parent.gateway.name);
    const className = gateway?.spec?.gatewayClassName;
    const gatewayClass = className === undefined ? undefined : view.get('GatewayClass', undefined, className);
    if (gatewayClass === undefined) continue;
    const parameters = resolveGatewayClassParameters(gatewayClass, view);
    if (!parameters.ok || parameters.parameters.backend !== 'agentgateway') continue;
    const name = `Gateway ${parent.gateway.namespace ?? ''}/${parent.gateway.name}`;
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** NotAccepted when every accepting parent is an agentgateway Gateway; undefined otherwise. */
export function dataPlaneProblem(http: RouteEvaluation, unserved: readonly string[]): Problem | undefined {
  const accepting = http.parents.filter((parent) => parent.accepted).length;
  if (unserved.length === 0 || unserved.length < accepting) return undefined;
  return { reason: 'UnsupportedValue', message: unservedMessage(unserved) };
}

export function unservedMessage(unserved: readonly string[]): string {
  return `parentRefs: ${unserved.join(', ')} ${unserved.length === 1 ? 'is' : 'are'} served by agentgateway, on which Switchyard does not program AIGatewayRoutes (they pass the ext_proc service, which only the envoy backend runs); agentgateway answers their requests 501`;
}
