// QuotaPolicy (Envoy AI Gateway v1alpha1, in its current release v1.1.0: api/v1alpha1/quota_policy.go): token quotas
// per AIServiceBackend, enforced on Envoy by the global rate limit machinery token budgets use (docs/policies.md,
// "Token budgets"): the ext_proc service writes each response's cost to dynamic metadata (an llmRequestCost of the
// rule: the policy's costExpression, `total_tokens` by default), and the Envoy rule of each backendRef to a
// targeted backend gets a global rate limit rule that costs nothing on the request (so an exhausted quota answers
// 429 before the provider is called) and the metadata cost once the response is done. One bucket per quota entry
// and target backend, shared by every route that sends to it, as Envoy AI Gateway keys its descriptors by backend
// (and model). `serviceQuota` counts every model of the backend; `perModelQuotas[k]` the backendRefs whose
// `modelNameOverride` is its `modelName` (Envoy AI Gateway's rule). What cannot be enforced is named in the
// policy's status; the rest is enforced all the same (never fewer limits than asked for).

import type { RateLimitRuleIR, RateLimitUnitIR } from '../ir/traffic-policies.ts';
import {
  AI_GATEWAY_GROUP,
  type LLMRequestCost,
  type QuotaPolicy,
  type QuotaValue,
} from '../resources/ai-gateway.ts';
import { formatResourceKey, keyOf, type ResourceKey, resourceKey } from '../resources/resource-key.ts';
import { asArray } from '../shared/arrays.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { requestCostsProblem } from './request-costs.ts';
import type { Problem } from './statuses.ts';

/** The dynamic metadata namespace the ext_proc service writes costs into. */
const COST_NAMESPACE = 'io.envoy.ai_gateway';
const UNITS: Readonly<Record<string, RateLimitUnitIR>> = {
  '1s': 'Second',
  '1m': 'Minute',
  '1h': 'Hour',
  '1d': 'Day',
};

/** One enforceable quota of a policy on one target backend. */
interface QuotaEntry {
  readonly backend: string;
  /** perModelQuotas: the modelNameOverride it counts; serviceQuota: every model. */
  readonly model?: string;
  readonly rule: RateLimitRuleIR;
  readonly cost: LLMRequestCost;
}

/** What a policy enforces, and what of it cannot be (field and why). */
interface QuotaVerdict {
  readonly entries: readonly QuotaEntry[];
  readonly problems: readonly string[];
}

/** The limits and costs in force for one backendRef: to `backend` with its `modelNameOverride`. */
export interface BackendQuotas {
  readonly limits: readonly RateLimitRuleIR[];
  readonly costs: readonly LLMRequestCost[];
}

/** The QuotaPolicies of a namespace that target one of `backends` (AIServiceBackends our routes use). */
export function quotaPoliciesOf(backends: readonly ResourceKey[], view: ResourceView): QuotaPolicy[] {
  const used = new Set(backends.map(formatResourceKey));
  const namespaces = new Set(backends.map((key) => key.namespace ?? ''));
  const out: QuotaPolicy[] = [];
  for (const namespace of namespaces) {
    for (const policy of view.list('QuotaPolicy', namespace) as QuotaPolicy[]) {
      const hits = targetsOf(policy).some((name) =>
        used.has(formatResourceKey(resourceKey(AI_GATEWAY_GROUP, 'AIServiceBackend', namespace, name))),
      );
      if (hits) out.push(policy);
    }
  }
  return out.sort((a, b) => formatResourceKey(keyOf(a)).localeCompare(formatResourceKey(keyOf(b))));
}

/** The quotas counting requests to `backend` (an AIServiceBackend) sent with `modelNameOverride`. */
export function quotasFor(
  backend: ResourceKey,
  modelNameOverride: string | undefined,
  view: ResourceView,
): BackendQuotas {
  const limits: RateLimitRuleIR[] = [];
  const costs: LLMRequestCost[] = [];
  for (const policy of quotaPoliciesOf([backend], view)) {
    for (const entry of quotaVerdict(policy).entries) {
      if (entry.backend !== backend.name) continue;
      if (entry.model !== undefined && entry.model !== modelNameOverride) continue;
      limits.push(entry.rule);
      costs.push(entry.cost);
    }
  }
  return { limits, costs };
}

/** The policy's condition: Accepted when all of it is enforced, else what is not (the rest is). */
export function quotaPolicyProblem(policy: QuotaPolicy): Problem | undefined {
  const { entries, problems } = quotaVerdict(policy);
  if (problems.length === 0) return undefined;
  const rest = entries.length === 0 ? 'nothing of it is enforced' : 'its other quotas are enforced';
  return { reason: 'UnsupportedValue', message: `${problems.join('; ')}; ${rest}` };
}

function targetsOf(policy: QuotaPolicy): string[] {
  return asArray<{ group?: string; kind?: string; name?: string }>(policy.spec?.targetRefs)
    .filter((target) => target?.group === AI_GATEWAY_GROUP && target?.kind === 'AIServiceBackend')
    .flatMap((target) => (typeof target.name === 'string' ? [target.name] : []));
}

function quotaVerdict(policy: QuotaPolicy): QuotaVerdict {
  const owner = keyOf(policy);
  const targets = targetsOf(policy);
  const problems: string[] = [];
  const quotas: {
    field: string;
    costField: string;
    model?: string;
    costExpression?: string;
    quota: QuotaValue;
  }[] = [];
  const service = policy.spec?.serviceQuota;
  if (service?.quota !== undefined)
    quotas.push({
      field: 'spec.serviceQuota.quota',
      costField: 'spec.serviceQuota.costExpression',
      quota: service.quota,
      ...(typeof service.costExpression === 'string' ? { costExpression: service.costExpression } : {}),
    });
  asArray<NonNullable<QuotaPolicy['spec']['perModelQuotas']>[number]>(policy.spec?.perModelQuotas).forEach(
    (perModel, k) => {
      const field = `spec.perModelQuotas[${k}]`;
      const definition = perModel?.quota;
      if (typeof perModel?.modelName !== 'string' || perModel.modelName === '') {
        problems.push(`${field}.modelName: required`);
        return;
      }
      if (definition?.mode !== undefined && definition.mode !== 'Shared')
        problems.push(`${field}.quota.mode: only Shared exists, not '${String(definition.mode)}'`);
      if (asArray(definition?.bucketRules).length > 0)
        // Shared mode lets a request through while any bucket it matches has quota left; Envoy's rate limit filter
        // refuses it when any of its descriptors is over. The default bucket alone is enforced: stricter, never looser.
        problems.push(
          `${field}.quota.bucketRules: not enforced — Envoy's rate limit filter cannot let a request through on the quota of any one matching bucket, as Shared mode asks; the default bucket limits every request`,
        );
      if (definition?.defaultBucket === undefined) return;
      quotas.push({
        field: `${field}.quota.defaultBucket`,
        costField: `${field}.quota.costExpression`,
        model: perModel.modelName,
        quota: definition.defaultBucket,
        ...(typeof definition.costExpression === 'string'
          ? { costExpression: definition.costExpression }
          : {}),
      });
    },
  );
  const entries: QuotaEntry[] = [];
  for (const [q, quota] of quotas.entries()) {
    const unit = UNITS[String(quota.quota.duration)];
    const limit = quota.quota.limit;
    if (unit === undefined) {
      problems.push(
        `${quota.field}.duration: must be one of 1s, 1m, 1h, 1d, not '${String(quota.quota.duration)}'`,
      );
      continue;
    }
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) {
      problems.push(`${quota.field}.limit: must be a non-negative integer`);
      continue;
    }
    targets.forEach((backend, t) => {
      const index = t * quotas.length + q;
      const metadataKey = `quota-${owner.name}-${index}`;
      const cost: LLMRequestCost =
        quota.costExpression === undefined
          ? { metadataKey, type: 'TotalToken' }
          : { metadataKey, type: 'CEL', cel: quota.costExpression };
      const costProblem = requestCostsProblem([cost]);
      if (costProblem !== undefined) {
        if (t === 0) problems.push(`${quota.costField}: ${costProblem.message.replace(/^[^:]*: /, '')}`);
        return;
      }
      entries.push({
        backend,
        ...(quota.model === undefined ? {} : { model: quota.model }),
        cost,
        rule: {
          owner,
          index,
          selector: { headers: [], methods: [], queryParams: [] },
          requests: limit,
          unit,
          requestCost: { kind: 'Number', number: 0 },
          responseCost: { kind: 'Metadata', namespace: COST_NAMESPACE, key: metadataKey },
          shared: true,
          shadowMode: false,
        },
      });
    });
  }
  return { entries, problems };
}
