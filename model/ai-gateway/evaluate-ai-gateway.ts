// The AI Gateway kinds of a whole view: every AIGatewayRoute of ours, the AIServiceBackends they use and the
// policies of those backends — their statuses, and the one ext_proc configuration the routes make together.

import { isOurGatewayClass } from '../gateway-api/gateway-class.ts';
import type {
  AIGatewayRoute,
  AIServiceBackend,
  BackendSecurityPolicy,
  GatewayConfig,
} from '../resources/ai-gateway.ts';
import type { Gateway } from '../resources/gateway-api.ts';
import { formatResourceKey, keyOf, type ResourceKey } from '../resources/resource-key.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import type { ExtProcConfigDocument } from './extproc-config.ts';
import { gatewayConfigVerdict, referencedGatewayConfigs } from './gateway-configs.ts';
import { quotaPoliciesOf, quotaPolicyProblem } from './quota-policies.ts';
import { type AIGatewayOptions, evaluateAIGatewayRoute } from './route-evaluation.ts';
import { policiesOf, policyAuth } from './security-policies.ts';
import { resolveAIServiceBackend } from './service-backends.ts';
import {
  type AIStatusUpdate,
  acceptanceCondition,
  type DesiredCondition,
  stampConditions,
} from './statuses.ts';

export interface AIGatewayResult {
  readonly statuses: readonly AIStatusUpdate[];
  readonly config: ExtProcConfigDocument;
}

/**
 * Statuses of every AI object of ours and the ext_proc configuration. Routes are taken oldest first, so when two
 * routes name the same model the oldest one's rule is the one the service finds first.
 */
export function evaluateAIGateway(view: ResourceView, options: AIGatewayOptions): AIGatewayResult {
  const { statuses, config, usedBackends } = evaluateRoutes(view, options);
  const policies = new Map<string, BackendSecurityPolicy>();
  const sorted = [...usedBackends.values()].sort((a, b) =>
    formatResourceKey(a).localeCompare(formatResourceKey(b)),
  );
  for (const key of sorted) {
    const backend = view.get('AIServiceBackend', key.namespace, key.name) as AIServiceBackend | undefined;
    if (backend === undefined) continue;
    const verdict = resolveAIServiceBackend(backend, view, options.hostDataPlane === true);
    const desired = [acceptanceCondition('AIServiceBackend', verdict.ok ? undefined : verdict.problem!)];
    const conditions = stampConditions(
      backend.status?.conditions,
      desired,
      backend.metadata?.generation,
      options.now,
    );
    statuses.push({ key, status: { conditions } });
    for (const policy of policiesOf(backend, view)) policies.set(formatResourceKey(keyOf(policy)), policy);
  }
  for (const policy of policies.values()) {
    const verdict = policyAuth(policy, view);
    const desired = [acceptanceCondition('BackendSecurityPolicy', 'reason' in verdict ? verdict : undefined)];
    const conditions = stampConditions(
      policy.status?.conditions,
      desired,
      policy.metadata?.generation,
      options.now,
    );
    statuses.push({ key: keyOf(policy), status: { conditions } });
  }
  for (const quota of quotaPoliciesOf(sorted, view)) {
    const conditions = stampConditions(
      quota.status?.conditions,
      [acceptanceCondition('QuotaPolicy', quotaPolicyProblem(quota))],
      quota.metadata?.generation,
      options.now,
    );
    statuses.push({ key: keyOf(quota), status: { conditions } });
  }
  statuses.push(...gatewayConfigStatuses(view, options));
  return { statuses, config };
}

/** The GatewayConfigs our Gateways name: accepted (their global costs apply) or refused with the fields why. */
function gatewayConfigStatuses(view: ResourceView, options: AIGatewayOptions): AIStatusUpdate[] {
  const ours = (view.list('Gateway') as Gateway[]).filter((gateway) => {
    const gatewayClass = view.get('GatewayClass', undefined, String(gateway.spec?.gatewayClassName ?? ''));
    return gatewayClass !== undefined && isOurGatewayClass(gatewayClass, options.controllerName);
  });
  const out: AIStatusUpdate[] = [];
  for (const { key, gateways } of referencedGatewayConfigs(ours).values()) {
    const config = view.get('GatewayConfig', key.namespace, key.name) as GatewayConfig | undefined;
    if (config === undefined) continue;
    const verdict = gatewayConfigVerdict(config);
    const desired: DesiredCondition = verdict.ok
      ? {
          type: 'Accepted',
          status: 'True',
          reason: 'Accepted',
          message: `globalLLMRequestCosts apply to the AIGatewayRoutes of Gateway ${gateways.sort().join(', ')}`,
        }
      : acceptanceCondition('GatewayConfig', verdict.problem);
    const conditions = stampConditions(
      config.status?.conditions,
      [desired],
      config.metadata?.generation,
      options.now,
    );
    out.push({ key: keyOf(config), status: { conditions } });
  }
  return out;
}

/** The routes of ours, oldest first: their statuses, the configuration they make, the backends they use. */
function evaluateRoutes(
  view: ResourceView,
  options: AIGatewayOptions,
): { statuses: AIStatusUpdate[]; config: ExtProcConfigDocument; usedBackends: Map<string, ResourceKey> } {
  const statuses: AIStatusUpdate[] = [];
  const config: ExtProcConfigDocument = { models: [], rules: [], backends: [] };
  const seenModels = new Set<string>();
  const usedBackends = new Map<string, ResourceKey>();
  const routes = (view.list('AIGatewayRoute') as AIGatewayRoute[]).slice().sort(compareAge);
  for (const route of routes) {
    const result = evaluateAIGatewayRoute(route, view, options);
    if (!result.ours) continue;
    statuses.push({ key: keyOf(route), status: result.status });
    config.rules.push(...result.rules);
    config.backends.push(...result.backends);
    for (const model of result.models) {
      if (seenModels.has(model.name)) continue;
      seenModels.add(model.name);
      config.models.push(model);
    }
    for (const key of result.usedBackends) usedBackends.set(formatResourceKey(key), key);
  }
  return { statuses, config, usedBackends };
}

/** Oldest first; objects without a creationTimestamp (files mode) count as newest; then by key. */
function compareAge(a: AIGatewayRoute, b: AIGatewayRoute): number {
  const ca = a.metadata?.creationTimestamp ?? '';
  const cb = b.metadata?.creationTimestamp ?? '';
  if (ca !== cb) {
    if (ca === '') return 1;
    if (cb === '') return -1;
    return ca < cb ? -1 : 1;
  }
  return formatResourceKey(keyOf(a)).localeCompare(formatResourceKey(keyOf(b)));
}
