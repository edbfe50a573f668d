// BackendTLSPolicy in force: TLS from the data plane to a Service (or an Envoy Gateway Backend, policies/backend.ts).
// Per Service port the policy naming the port (sectionName) is in force, else the one for the whole Service; among
// policies for the same section the oldest wins and the others are Conflicted. CA certificates come from core
// ConfigMaps (`ca.crt`) or the system store. A policy in force that cannot be enforced fails the backend: never
// plain text where TLS was asked for.
// Backend resolution reads it here; the policy's own status is in backend-tls-policies.ts.

import { X509Certificate } from 'node:crypto';
import type { BackendTLS } from '../ir/backends.ts';
import type { BackendTLSPolicy } from '../resources/gateway-api.ts';
import type { ConfigMap } from '../resources/kubernetes.ts';
import { keyOf, type ResourceKey, resourceKey } from '../resources/resource-key.ts';
import { type ConditionSpec, ConditionType, condition, PolicyReason } from '../shared/conditions.ts';
import { preciseHostnameError } from '../shared/http-fields.ts';
import { normalizeGroup } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';

export type BackendTLSVerdict =
  | { readonly ok: true; readonly tls: BackendTLS; readonly resolvedRefs?: ConditionSpec }
  | { readonly ok: false; readonly accepted: ConditionSpec; readonly resolvedRefs: ConditionSpec };

const caCache = new WeakMap<ConfigMap, boolean>();

/**
 * What the data plane must do for a Service port (or a Backend): plain traffic (no policy), TLS as the policy in
 * force says, or nothing at all when that policy cannot be enforced (no usable CA, a bad hostname, …): a policy
 * asked for TLS, so the backend's share answers 5xx instead of going out in plain text (fail closed).
 */
export type BackendTLSInForce =
  | { readonly kind: 'plain' }
  | { readonly kind: 'tls'; readonly tls: BackendTLS }
  | { readonly kind: 'unusable'; readonly policy: BackendTLSPolicy; readonly message: string };

/** The TLS a Service port gets from the policy in force for it (backendTLSPolicyInForce). */
export function backendTLSFor(
  view: ResourceView,
  namespace: string,
  service: string,
  portName: string | undefined,
): BackendTLSInForce {
  const policy = backendTLSPolicyInForce(view, namespace, service, portName);
  if (policy === undefined) return { kind: 'plain' };
  const verdict = evaluateBackendTLSPolicy(policy, view);
  return verdict.ok
    ? { kind: 'tls', tls: verdict.tls }
    : { kind: 'unusable', policy, message: verdict.accepted.message };
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

type TargetRef = { group?: string; kind?: string; name?: string; sectionName?: string };

/** A targetRef's sectionName, '' for the whole target. */
function sectionOf(t: TargetRef): string {
  return typeof t.sectionName === 'string' ? t.sectionName : '';
}

/**
 * The policy in force for one port of a Service (by the port's name; '' for an unnamed port): the one naming that
 * port (sectionName) wins, else the one for the whole Service; among several for the same section, the oldest, then
 * by namespace/name (the spec's precedence). `portName` undefined (a Backend, whose ports have no names): the
 * whole-target policy, else any.
 */
export function backendTLSPolicyInForce(
  view: ResourceView,
  namespace: string,
  name: string,
  portName: string | undefined,
  target: BackendTLSTarget = SERVICE_TARGET,
): BackendTLSPolicy | undefined {
  const policies = backendTLSPoliciesTargeting(view, namespace, name, target);
  const naming = (section: string) => (p: BackendTLSPolicy) =>
    targetRefsOf(p, name, target).some((t) => sectionOf(t) === section);
  return (
    (portName !== undefined && portName !== '' ? policies.find(naming(portName)) : undefined) ??
    policies.find(naming('')) ??
    (portName === undefined ? policies[0] : undefined)
  );
}

/**
 * The policy that takes precedence for one target and section (a conflict exists only among policies naming the
 * same section, or among whole-target ones): the others for it are Conflicted.
 */
export function backendTLSConflictWinner(
  view: ResourceView,
  namespace: string,
  name: string,
  sectionName: string | undefined,
  target: BackendTLSTarget,
): BackendTLSPolicy | undefined {
  const section = sectionName ?? '';
  return backendTLSPoliciesTargeting(view, namespace, name, target).find((p) =>
    targetRefsOf(p, name, target).some((t) => sectionOf(t) === section),
  );
}

/** BackendTLSPolicies targeting the Service or Backend (any section), in precedence order: oldest, then by name. */
export function backendTLSPoliciesTargeting(
  view: ResourceView,
  namespace: string,
  name: string,
  target: BackendTLSTarget = SERVICE_TARGET,
): BackendTLSPolicy[] {
  return view
    .list('BackendTLSPolicy', namespace)
    .filter((policy) => targetRefsOf(policy, name, target).length > 0)
    .sort((a, b) => {
      const [ta, tb] = [a.metadata.creationTimestamp ?? '~', b.metadata.creationTimestamp ?? '~'];
      if (ta !== tb) return ta < tb ? -1 : 1;
      return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
    });
}

function targetRefsOf(policy: BackendTLSPolicy, name: string, target: BackendTLSTarget): TargetRef[] {
  return (Array.isArray(policy.spec?.targetRefs) ? (policy.spec.targetRefs as TargetRef[]) : []).filter(
    (t) => normalizeGroup(t?.group) === target.group && t?.kind === target.kind && t.name === name,
  );
}

export function evaluateBackendTLSPolicy(policy: BackendTLSPolicy, view: ResourceView): BackendTLSVerdict {
  const namespace = policy.metadata?.namespace ?? '';
  const validation = policy.spec?.validation;
  const hostname = validation?.hostname;
  const hostnameError = preciseHostnameError(hostname);
  if (hostnameError !== undefined || typeof hostname !== 'string') {
    return invalid(PolicyReason.Invalid, `spec.validation.hostname: ${hostnameError ?? 'required'}`);
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
    if (
      typeof validation?.wellKnownCACertificates === 'string' &&
      validation.wellKnownCACertificates !== ''
    ) {
      return invalid(
        PolicyReason.Invalid,
        `spec.validation.wellKnownCACertificates: ${JSON.stringify(validation.wellKnownCACertificates)} is not supported; use System or caCertificateRefs`,
      );
    }
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

/** Whether a ConfigMap's `ca.crt` holds a PEM certificate that parses (cached per ConfigMap object). */
export function hasValidCA(configMap: ConfigMap): boolean {
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
