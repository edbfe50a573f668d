// BackendTLSPolicy: TLS from the data plane to a Service. The oldest policy targeting a Service (port) wins,
// later ones are Conflicted; CA certificates come from core ConfigMaps (`ca.crt`) or the system store.
// Status is written per ancestor Gateway: the Gateways whose accepted routes send traffic to a target.

import { X509Certificate } from 'node:crypto';
import {
  type ConditionSpec,
  ConditionType,
  condition,
  mergeConditions,
  PolicyReason,
  type Stamp,
} from './conditions.ts';
import { normalizeGroup } from './reference-grants.ts';
import { formatResourceKey, GATEWAY_GROUP, keyOf, type ResourceKey, resourceKey } from './resource-key.ts';
import type { ResourceView } from './resource-view.ts';
import type { BackendTLSPolicy, ConfigMap, PolicyAncestorStatus } from './resources.ts';
import type { RouteEvaluation } from './route-status.ts';

export interface BackendTLS {
  readonly policy: ResourceKey;
  /** SNI and, without subjectAltNames, the name the backend certificate must carry. */
  readonly hostname: string;
  readonly subjectAltNames: readonly { readonly type: 'Hostname' | 'URI'; readonly value: string }[];
  /** ConfigMaps holding the trusted CA bundle (`ca.crt`), or the system trust store. */
  readonly caCertificates: readonly ResourceKey[] | 'System';
  /** The PEM of those ConfigMaps' `ca.crt`, concatenated (absent for the system store). Public material. */
  readonly caBundle?: string;
}

type Verdict =
  | { readonly ok: true; readonly tls: BackendTLS; readonly resolvedRefs?: ConditionSpec }
  | { readonly ok: false; readonly accepted: ConditionSpec; readonly resolvedRefs: ConditionSpec };

const caCache = new WeakMap<ConfigMap, boolean>();

/** The policy in force for a Service port, if any: the oldest valid, non-conflicted one targeting it. */
export function backendTLSFor(
  view: ResourceView,
  namespace: string,
  service: string,
  portName: string | undefined,
): BackendTLS | undefined {
  const winner = policiesTargeting(view, namespace, service, portName)[0];
  if (winner === undefined) return undefined;
  const verdict = evaluatePolicy(winner, view);
  return verdict.ok ? verdict.tls : undefined;
}

/** Gateways whose accepted routes use a Service the policy targets: where its status is reported. */
export function backendTLSPolicyAncestors(
  policy: BackendTLSPolicy,
  evaluations: Iterable<RouteEvaluation>,
): ResourceKey[] {
  const namespace = policy.metadata?.namespace ?? '';
  const targets = new Set(
    (Array.isArray(policy.spec?.targetRefs) ? policy.spec.targetRefs : [])
      .filter((t) => normalizeGroup(t?.group) === '' && t?.kind === 'Service')
      .map((t) => formatResourceKey(resourceKey('', 'Service', namespace, String(t.name)))),
  );
  const gateways = new Map<string, ResourceKey>();
  for (const evaluation of evaluations) {
    const usesTarget = evaluation.rules.some((rule) =>
      rule.backends.some(
        (b) =>
          b.result.ok &&
          b.result.backend.kind === 'Service' &&
          targets.has(formatResourceKey(b.result.backend.service)),
      ),
    );
    if (!usesTarget) continue;
    for (const parent of evaluation.parents) {
      if (parent.accepted) gateways.set(formatResourceKey(parent.gateway), parent.gateway);
    }
  }
  return [...gateways.keys()].sort().map((id) => gateways.get(id) as ResourceKey);
}

export interface BackendTLSPolicyStatusOptions extends Pick<Stamp, 'now'> {
  readonly controllerName: string;
  /** From `backendTLSPolicyAncestors`. */
  readonly ancestors: readonly ResourceKey[];
}

/** status.ancestors with our entries (one per ancestor Gateway) merged in; other controllers' entries kept. */
export function computeBackendTLSPolicyStatus(
  policy: BackendTLSPolicy,
  view: ResourceView,
  options: BackendTLSPolicyStatusOptions,
): { ancestors: PolicyAncestorStatus[] } {
  const stamp: Stamp = { generation: policy.metadata?.generation, now: options.now };
  const desired = policyConditions(policy, view);
  const previous = Array.isArray(policy.status?.ancestors) ? policy.status.ancestors : [];
  const ours: PolicyAncestorStatus[] = options.ancestors.map((gateway) => {
    const ancestorRef = {
      group: GATEWAY_GROUP,
      kind: 'Gateway',
      namespace: gateway.namespace ?? '',
      name: gateway.name,
    };
    const old = previous.find(
      (a) =>
        a?.controllerName === options.controllerName &&
        a.ancestorRef?.name === gateway.name &&
        (a.ancestorRef?.namespace ?? policy.metadata?.namespace) === gateway.namespace,
    );
    return {
      ancestorRef,
      controllerName: options.controllerName,
      conditions: mergeConditions(old?.conditions, desired, 'BackendTLSPolicy', stamp),
    };
  });
  const others = previous.filter((a) => a?.controllerName !== options.controllerName);
  return { ancestors: [...others, ...ours].slice(0, 16) };
}

function policyConditions(policy: BackendTLSPolicy, view: ResourceView): ConditionSpec[] {
  const namespace = policy.metadata?.namespace ?? '';
  const targets = Array.isArray(policy.spec?.targetRefs) ? policy.spec.targetRefs : [];
  const services = targets.filter((t) => normalizeGroup(t?.group) === '' && t?.kind === 'Service');
  const resolved = services.filter((t) => view.get('Service', namespace, String(t.name)) !== undefined);
  if (resolved.length === 0) {
    return [
      condition(
        ConditionType.Accepted,
        'False',
        PolicyReason.TargetNotFound,
        'spec.targetRefs: no target Service exists',
      ),
      condition(
        ConditionType.ResolvedRefs,
        'True',
        PolicyReason.ResolvedRefs,
        'No target to resolve references for',
      ),
    ];
  }
  const self = formatResourceKey(keyOf(policy));
  const beaten = resolved.find((t) => {
    const winner = policiesTargeting(view, namespace, String(t.name), t.sectionName)[0];
    return winner !== undefined && formatResourceKey(keyOf(winner)) !== self;
  });
  const verdict = evaluatePolicy(policy, view);
  if (!verdict.ok) return [verdict.accepted, verdict.resolvedRefs];
  const resolvedRefs =
    verdict.resolvedRefs ??
    condition(ConditionType.ResolvedRefs, 'True', PolicyReason.ResolvedRefs, 'All references resolved');
  if (beaten !== undefined) {
    return [
      condition(
        ConditionType.Accepted,
        'False',
        PolicyReason.Conflicted,
        `an older BackendTLSPolicy already targets Service ${beaten.name}`,
      ),
      resolvedRefs,
    ];
  }
  return [
    condition(ConditionType.Accepted, 'True', PolicyReason.Accepted, 'Policy is accepted'),
    resolvedRefs,
  ];
}

/** Policies targeting the Service (and port name, when a policy names one), oldest first, then by name. */
function policiesTargeting(
  view: ResourceView,
  namespace: string,
  service: string,
  portName: string | undefined,
): BackendTLSPolicy[] {
  return view
    .list('BackendTLSPolicy', namespace)
    .filter((policy) =>
      (Array.isArray(policy.spec?.targetRefs) ? policy.spec.targetRefs : []).some(
        (t) =>
          normalizeGroup(t?.group) === '' &&
          t?.kind === 'Service' &&
          t.name === service &&
          (t.sectionName === undefined || portName === undefined || t.sectionName === portName),
      ),
    )
    .sort((a, b) => {
      const [ta, tb] = [a.metadata.creationTimestamp ?? '~', b.metadata.creationTimestamp ?? '~'];
      if (ta !== tb) return ta < tb ? -1 : 1;
      return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
    });
}

function evaluatePolicy(policy: BackendTLSPolicy, view: ResourceView): Verdict {
  const namespace = policy.metadata?.namespace ?? '';
  const validation = policy.spec?.validation;
  const hostname = validation?.hostname;
  if (typeof hostname !== 'string' || hostname === '') {
    return invalid(PolicyReason.Invalid, 'spec.validation.hostname: required');
  }
  const subjectAltNames: { type: 'Hostname' | 'URI'; value: string }[] = [];
  for (const [i, san] of (Array.isArray(validation?.subjectAltNames)
    ? validation.subjectAltNames
    : []
  ).entries()) {
    const value = san?.type === 'Hostname' ? san.hostname : san?.type === 'URI' ? san.uri : undefined;
    if (typeof value !== 'string' || value === '') {
      return invalid(
        PolicyReason.Invalid,
        `spec.validation.subjectAltNames[${i}]: needs a ${san?.type === 'URI' ? 'uri' : 'hostname'}`,
      );
    }
    subjectAltNames.push({ type: san.type, value });
  }
  const base = { policy: keyOf(policy), hostname, subjectAltNames };
  const refs = Array.isArray(validation?.caCertificateRefs) ? validation.caCertificateRefs : [];
  if (refs.length === 0) {
    if (validation?.wellKnownCACertificates === 'System')
      return { ok: true, tls: { ...base, caCertificates: 'System' } };
    return invalid(
      PolicyReason.Invalid,
      'spec.validation: set caCertificateRefs or wellKnownCACertificates: System',
    );
  }
  const caCertificates: ResourceKey[] = [];
  const bundle: string[] = [];
  let problem: { reason: string; message: string } | undefined;
  for (const [i, ref] of refs.entries()) {
    const field = `spec.validation.caCertificateRefs[${i}]`;
    if (normalizeGroup(ref?.group) !== '' || ref?.kind !== 'ConfigMap') {
      problem ??= {
        reason: PolicyReason.InvalidKind,
        message: `${field}: ${String(ref?.group) || 'core'}/${String(ref?.kind)} is not supported; use a ConfigMap`,
      };
      continue;
    }
    const configMap = view.get('ConfigMap', namespace, String(ref.name));
    if (configMap === undefined || !hasValidCA(configMap)) {
      problem ??= {
        reason: PolicyReason.InvalidCACertificateRef,
        message: `${field}: ConfigMap ${namespace}/${ref.name} ${configMap === undefined ? 'not found' : 'has no PEM certificate in ca.crt'}`,
      };
      continue;
    }
    caCertificates.push(resourceKey('', 'ConfigMap', namespace, configMap.metadata.name));
    bundle.push((configMap.data?.['ca.crt'] ?? '').trim());
  }
  if (caCertificates.length === 0 && problem !== undefined) {
    return {
      ok: false,
      accepted: condition(
        ConditionType.Accepted,
        'False',
        PolicyReason.NoValidCACertificate,
        problem.message,
      ),
      resolvedRefs: condition(ConditionType.ResolvedRefs, 'False', problem.reason, problem.message),
    };
  }
  return {
    ok: true,
    tls: { ...base, caCertificates, caBundle: `${bundle.join('\n')}\n` },
    ...(problem === undefined
      ? {}
      : { resolvedRefs: condition(ConditionType.ResolvedRefs, 'False', problem.reason, problem.message) }),
  };
}

function hasValidCA(configMap: ConfigMap): boolean {
  let valid = caCache.get(configMap);
  if (valid === undefined) {
    try {
      const pem = configMap.data?.['ca.crt'] ?? '';
      valid = pem.includes('-----BEGIN CERTIFICATE-----') && new X509Certificate(pem) !== undefined;
    } catch {
      valid = false;
    }
    caCache.set(configMap, valid);
  }
  return valid;
}

function invalid(reason: string, message: string): Verdict {
  return {
    ok: false,
    accepted: condition(ConditionType.Accepted, 'False', reason, message),
    resolvedRefs: condition(
      ConditionType.ResolvedRefs,
      'True',
      PolicyReason.ResolvedRefs,
      'No references to resolve',
    ),
  };
}
