// Which data planes serve an AIGatewayRoute's parents, and what agentgateway cannot serve of it. Envoy serves AI
// routes through the ext_proc service; agentgateway serves them natively (backends/agentgateway/ai.ts): its
// listener's model table routes by the model in the request body to an AI backend whose providers carry the
// schema, model override and credentials. What that table and those providers cannot express is named here, by
// field: such a rule (or route) is not served on agentgateway — its models are answered 404 there — and the
// route's status says so, never a request forwarded without what the route asks.

import { resolveGatewayClassParameters } from '../gateway-api/gateway-class.ts';
import type { RouteEvaluation } from '../gateway-api/route-status.ts';
import type { ExtProcBackendDocument } from '../ir/ai.ts';
import type { HTTPValueMatch } from '../resources/gateway-api.ts';
import { asArray } from '../shared/arrays.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { MODEL_HEADER } from './extproc-config.ts';
import type { Problem } from './statuses.ts';

/** The schemas Switchyard maps onto agentgateway's AI providers (`AIBackend.Provider`). */
export const AGENTGATEWAY_SCHEMAS: ReadonlySet<string> = new Set([
  'OpenAI',
  'Anthropic',
  'AWSBedrock',
  'AzureOpenAI',
]);

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

/** agentgateway's model table matches the model only: a rule matching other headers too cannot be served there. */
export function agentgatewayMatchProblem(
  at: string,
  matches: readonly { headers?: HTTPValueMatch[] }[],
): string | undefined {
  for (const [m, match] of matches.entries()) {
    for (const header of asArray<HTTPValueMatch>(match?.headers)) {
      const name = typeof header?.name === 'string' ? header.name.toLowerCase() : '';
      if (name === MODEL_HEADER) {
        // A `*` at either end makes agentgateway's model name a wildcard (`gpt-*`), where Envoy matches it exactly.
        const value = String(header.value ?? '');
        if (value.startsWith('*') || value.endsWith('*'))
          return `${at}.matches[${m}]: model '${value}' would be a wildcard in agentgateway's model table`;
        continue;
      }
      return `${at}.matches[${m}].headers: agentgateway's model table matches the request's model only, not header '${name}'`;
    }
  }
  return undefined;
}

/** What agentgateway's AI providers cannot express of one backendRef, naming the field; undefined when served. */
export function agentgatewayBackendProblem(
  field: string,
  id: string,
  backend: ExtProcBackendDocument,
): string | undefined {
  const at = `${field} (AIServiceBackend ${id})`;
  if (!AGENTGATEWAY_SCHEMAS.has(backend.schema.name))
    return `${at} spec.schema.name: ${backend.schema.name} is not mapped onto agentgateway's AI providers (${[...AGENTGATEWAY_SCHEMAS].join(', ')} are)`;
  if (backend.bodyMutation !== undefined)
    return `${at} bodyMutation: agentgateway's AI providers take no body mutation`;
  const auth = backend.auth;
  if (auth?.override !== undefined)
    return `${at} BackendSecurityPolicy credentialOverride: agentgateway takes no per-request credentials with a fallback to the configured ones`;
  if (
    backend.schema.name === 'AWSBedrock' &&
    (auth === undefined || !('aws' in auth || 'unavailable' in auth))
  )
    // Without explicit credentials agentgateway's Bedrock provider would sign with the proxy's own AWS identity.
    return `${at} BackendSecurityPolicy: an AWSBedrock backend needs AWSCredentials on agentgateway`;
  if (
    backend.schema.name === 'AzureOpenAI' &&
    (auth === undefined || !('azureAPIKey' in auth || 'unavailable' in auth))
  )
    // Without a key agentgateway's Azure provider would authenticate with the proxy's own Azure identity.
    return `${at} BackendSecurityPolicy: an AzureOpenAI backend needs AzureAPIKey on agentgateway`;
  if (backend.schema.name !== 'AzureOpenAI' && auth !== undefined && 'azureAPIKey' in auth)
    return `${at} BackendSecurityPolicy type AzureAPIKey: only for AzureOpenAI`;
  return undefined;
}

/** agentgateway's model table serves every hostname of its listener, so a route narrowed by hostnames is not served. */
export function agentgatewayRouteProblem(hostnames: readonly unknown[]): string | undefined {
  return hostnames.length === 0
    ? undefined
    : "spec.hostnames: agentgateway's model table serves every hostname of its listener";
}

/**
 * What the route's agentgateway parents do not serve: the whole route (`NotAccepted` when those are all its
 * accepting parents, else named in the Accepted message), or some rules (named in the Accepted message).
 */
export function agentgatewayStatus(
  http: RouteEvaluation,
  parents: readonly string[],
  unsupported: { readonly route?: string; readonly rules: readonly string[]; readonly served: number },
): { readonly problem?: Problem; readonly note?: string } {
  if (parents.length === 0) return {};
  const whole =
    unsupported.route ??
    (unsupported.served === 0 && unsupported.rules.length > 0 ? unsupported.rules.join('; ') : undefined);
  const on = `${parents.join(', ')} (agentgateway)`;
  if (whole === undefined)
    return unsupported.rules.length === 0
      ? {}
      : { note: `not served on ${on}: ${unsupported.rules.join('; ')}` };
  const accepting = http.parents.filter((parent) => parent.accepted).length;
  const message = `parentRefs: ${on} cannot serve this route: ${whole}`;
  return parents.length < accepting
    ? { note: message }
    : { problem: { reason: 'UnsupportedValue', message } };
}
