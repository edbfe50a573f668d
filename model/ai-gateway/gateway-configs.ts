// GatewayConfig (Envoy AI Gateway v1beta1): named by a Gateway's `aigateway.envoyproxy.io/gateway-config`
// annotation (same namespace). Its `globalLLMRequestCosts` apply to the AIGatewayRoutes of that Gateway (a route's
// own cost for a metadataKey wins). `extProc` shapes the ext_proc container Envoy AI Gateway runs inside the
// Gateway's pods, and `forwardProxy` a proxy for provider calls: neither exists here (the ext_proc service is its
// own Deployment, configured by the chart), so a GatewayConfig setting them is refused as a whole — applied in
// part it would be silently half-honoured.

import {
  GATEWAY_CONFIG_ANNOTATION,
  type GatewayConfig,
  type LLMRequestCost,
} from '../resources/ai-gateway.ts';
import type { Gateway } from '../resources/gateway-api.ts';
import { formatResourceKey, type ResourceKey, resourceKey } from '../resources/resource-key.ts';
import { asArray } from '../shared/arrays.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { requestCostsProblem } from './request-costs.ts';
import type { Problem } from './statuses.ts';

/** A GatewayConfig's verdict: the costs it adds, or why it is refused. */
export type GatewayConfigVerdict =
  | { readonly ok: true; readonly costs: readonly LLMRequestCost[] }
  | { readonly ok: false; readonly problem: Problem };

export function gatewayConfigVerdict(config: GatewayConfig): GatewayConfigVerdict {
  const spec = config.spec ?? {};
  const unsupported: string[] = [];
  if (spec.extProc !== undefined && spec.extProc !== null)
    unsupported.push(
      "spec.extProc: the ext_proc service is its own Deployment here, not a container of the Gateway's pods (set its resources and environment in the chart's extproc values)",
    );
  if (spec.forwardProxy !== undefined && spec.forwardProxy !== null)
    unsupported.push('spec.forwardProxy: calls to providers through a forward proxy are not supported');
  if (unsupported.length > 0) {
    return {
      ok: false,
      problem: {
        reason: 'UnsupportedValue',
        message: `${unsupported.join('; ')}; nothing of this GatewayConfig applies`,
      },
    };
  }
  const costs = asArray<LLMRequestCost>(spec.globalLLMRequestCosts);
  const problem = requestCostsProblem(costs, 'spec.globalLLMRequestCosts');
  return problem === undefined ? { ok: true, costs } : { ok: false, problem };
}

/** The GatewayConfig a Gateway names, if any. */
export function gatewayConfigKey(gateway: Gateway): ResourceKey | undefined {
  const name = gateway.metadata?.annotations?.[GATEWAY_CONFIG_ANNOTATION];
  if (typeof name !== 'string' || name === '') return undefined;
  return resourceKey('aigateway.envoyproxy.io', 'GatewayConfig', gateway.metadata.namespace ?? '', name);
}

/**
 * The costs of a route's rules: its own, then the global costs of the first of its Gateways (in parentRefs order)
 * whose GatewayConfig is accepted, for each metadataKey the route does not set (Envoy AI Gateway's precedence).
 * `unused` names each GatewayConfig a Gateway names whose costs do not apply: missing, or refused.
 */
export function costsWithGlobal(
  routeCosts: readonly LLMRequestCost[],
  gateways: readonly ResourceKey[],
  view: ResourceView,
): { readonly costs: LLMRequestCost[]; readonly unused: string[] } {
  const unused: string[] = [];
  for (const key of gateways) {
    const gateway = view.get('Gateway', key.namespace, key.name) as Gateway | undefined;
    const configKey = gateway === undefined ? undefined : gatewayConfigKey(gateway);
    if (configKey === undefined) continue;
    const config = view.get('GatewayConfig', configKey.namespace, configKey.name) as
      | GatewayConfig
      | undefined;
    const named = `Gateway ${key.namespace}/${key.name} names GatewayConfig ${configKey.namespace}/${configKey.name}`;
    if (config === undefined) {
      unused.push(`${named}, which does not exist: its global costs do not apply`);
      continue;
    }
    const verdict = gatewayConfigVerdict(config);
    if (!verdict.ok) {
      unused.push(`${named}, which is not accepted (see its status): its global costs do not apply`);
      continue;
    }
    const own = new Set(routeCosts.map((cost) => cost.metadataKey));
    return { costs: [...routeCosts, ...verdict.costs.filter((cost) => !own.has(cost.metadataKey))], unused };
  }
  return { costs: [...routeCosts], unused };
}

/** The GatewayConfigs named by Gateways of ours, with the Gateways naming each. */
export function referencedGatewayConfigs(
  gateways: readonly Gateway[],
): Map<string, { key: ResourceKey; gateways: string[] }> {
  const out = new Map<string, { key: ResourceKey; gateways: string[] }>();
  for (const gateway of gateways) {
    const key = gatewayConfigKey(gateway);
    if (key === undefined) continue;
    const id = formatResourceKey(key);
    const entry = out.get(id) ?? { key, gateways: [] };
    entry.gateways.push(gateway.metadata.name);
    out.set(id, entry);
  }
  return out;
}
