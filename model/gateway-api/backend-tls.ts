// BackendTLSPolicy in force: TLS from the data plane to a Service (or an Envoy Gateway Backend, policies/backend.ts).
// The oldest policy targeting a Service (port) or Backend wins, later ones are Conflicted; CA certificates come from core ConfigMaps (`ca.crt`) or the system store.
// Backend resolution reads it here; the policy's own status is in backend-tls-policies.ts.

import { X509Certificate } from 'node:crypto';
import type { BackendTLS } from '../ir/backends.ts';
import type { BackendTLSPolicy } from '../resources/gateway-api.ts';
import type { ConfigMap } from '../resources/kubernetes.ts';
import { keyOf, type ResourceKey, resourceKey } from '../resources/resource-key.ts';
import { type ConditionSpec, ConditionType, condition, PolicyReason } from '../shared/conditions.ts';
import { normalizeGroup } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';

export type BackendTLSVerdict =
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
  const winner = backendTLSPoliciesTargeting(view, namespace, service, portName)[0];
  if (winner === undefined) return undefined;
  const verdict = evaluateBackendTLSPolicy(winner, view);
  return verdict.ok ? verdict.tls : undefined;
}

/** The kinds a BackendTLSPolicy may target: a Service, or an Envoy Gateway Backend. */
export type BackendTLSTarget = { readonly group: string; readonly kind: 'Service' | 'Backend' };
export const SERVICE_TARGET: BackendTLSTarget = { group: '', kind: 'Service' };
export const BACKEND_TARGET: BackendTLSTarget = { group: 'gateway.envoyproxy.io', kind: 'Backend' };

/** Whether a target reference names a kind BackendTLSPolicies apply to here. */
export function isBackendTLSTarget(t: { group?: string; kind?: string } | undefined): boolean {
  return [SERVICE_TARGET, BACKEND_TARGET].some(
    (target) => normalizeGroup(t?.group) === target.group && t?.kind === target.kind,
  );
}

/**
 * BackendTLSPolicies targeting the Service (and port name, when a policy names one) or Backend, oldest first, then
 * by name.
 */
export function backendTLSPoliciesTargeting(
  view: ResourceView,
  namespace: string,
  service: string,
  portName: string | undefined,
  target: BackendTLSTarget = SERVICE_TARGET,
): BackendTLSPolicy[] {
  return view
    .list('BackendTLSPolicy', namespace)
    .filter((policy) =>
      (Array.isArray(policy.spec?.targetRefs) ? policy.spec.targetRefs : []).some(
        (t) =>
          normalizeGroup(t?.group) === target.group &&
          t?.kind === target.kind &&
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

export function evaluateBackendTLSPolicy(policy: BackendTLSPolicy, view: ResourceView): BackendTLSVerdict {
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

function invalid(reason: string, message: string): BackendTLSVerdict {
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
