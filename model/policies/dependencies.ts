// What a policy reads, for the reference validator's reverse index: its targets (a selector stands for every
// object of its kind in the namespace), the Secrets, ConfigMaps, Services and Backends its spec references, and the
// ReferenceGrants of other namespaces it reaches into, and the OpenID Connect discovery document it needs.

import { ENVOY_GATEWAY_GROUP } from '../resources/envoy-gateway.ts';
import type {
  BackendCluster,
  EnvoyGatewayPolicy,
  SecurityPolicy,
} from '../resources/envoy-gateway-policies.ts';
import {
  ANY_NAME,
  CORE_GROUP,
  GATEWAY_GROUP,
  type ResourceKey,
  resourceKey,
} from '../resources/resource-key.ts';
import { normalizeGroup } from '../shared/reference-grants.ts';
import { discoveryKey, issuerNeedingDiscovery } from './oidc-discovery.ts';
import { policyTargetDependencies } from './policy-targets.ts';

export function policyDependencies(policy: EnvoyGatewayPolicy): ResourceKey[] {
  const namespace = policy.metadata?.namespace ?? '';
  const keys = policyTargetDependencies(policy);
  const add = (kind: string, name: unknown, refNamespace?: unknown) => {
    const target = typeof refNamespace === 'string' && refNamespace !== '' ? refNamespace : namespace;
    keys.push(resourceKey(CORE_GROUP, kind, target, String(name ?? '')));
    if (target !== namespace) keys.push(resourceKey(GATEWAY_GROUP, 'ReferenceGrant', target, ANY_NAME));
  };
  const cluster = (value: BackendCluster | undefined) => {
    for (const ref of [value?.backendRef, ...(value?.backendRefs ?? [])]) {
      if (ref === undefined || ref === null) continue;
      if (normalizeGroup(ref.group) === '' && (ref.kind ?? 'Service') === 'Service')
        add('Service', ref.name, ref.namespace);
      if (normalizeGroup(ref.group) === ENVOY_GATEWAY_GROUP && ref.kind === 'Backend') {
        const target = typeof ref.namespace === 'string' && ref.namespace !== '' ? ref.namespace : namespace;
        keys.push(resourceKey(ENVOY_GATEWAY_GROUP, 'Backend', target, String(ref.name ?? '')));
        if (target !== namespace) keys.push(resourceKey(GATEWAY_GROUP, 'ReferenceGrant', target, ANY_NAME));
      }
    }
  };
  if (policy.kind === 'SecurityPolicy') {
    const spec = (policy as SecurityPolicy).spec ?? {};
    for (const provider of spec.jwt?.providers ?? []) {
      cluster(provider?.remoteJWKS);
      if (provider?.localJWKS?.valueRef?.name !== undefined)
        add('ConfigMap', provider.localJWKS.valueRef.name);
    }
    if (spec.basicAuth?.users !== undefined)
      add('Secret', spec.basicAuth.users.name, spec.basicAuth.users.namespace);
    for (const ref of spec.apiKeyAuth?.credentialRefs ?? []) add('Secret', ref?.name, ref?.namespace);
    cluster(spec.oidc?.provider);
    const issuer = issuerNeedingDiscovery(policy as SecurityPolicy);
    if (issuer !== undefined) keys.push(discoveryKey(issuer));
    if (spec.oidc?.clientSecret?.name !== undefined)
      add('Secret', spec.oidc.clientSecret.name, spec.oidc.clientSecret.namespace);
    if (spec.oidc?.clientIDRef?.name !== undefined)
      add('Secret', spec.oidc.clientIDRef.name, spec.oidc.clientIDRef.namespace);
    cluster(spec.extAuth?.grpc);
    cluster(spec.extAuth?.http);
    for (const extension of spec.extAuth?.contextExtensions ?? []) {
      const ref = extension?.valueRef;
      if (ref?.name !== undefined) add(ref.kind === 'Secret' ? 'Secret' : 'ConfigMap', ref.name);
    }
  }
  if (policy.kind === 'EnvoyExtensionPolicy') {
    for (const processor of policy.spec?.extProc ?? []) cluster(processor);
  }
  if (policy.kind === 'BackendTrafficPolicy') {
    for (const override of policy.spec?.responseOverride ?? []) {
      const ref = override?.response?.body?.valueRef;
      if (ref?.kind === 'ConfigMap' && typeof ref.name === 'string') add('ConfigMap', ref.name);
    }
  }
  if (policy.kind === 'ClientTrafficPolicy') {
    for (const ref of policy.spec?.tls?.clientValidation?.caCertificateRefs ?? []) {
      const kind = ref?.kind === 'Secret' ? 'Secret' : 'ConfigMap';
      add(kind, ref?.name, ref?.namespace);
    }
  }
  return keys;
}
