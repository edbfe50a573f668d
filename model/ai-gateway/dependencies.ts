// What an AI Gateway object's evaluation reads, for the reverse dependency index (model/evaluation/dependencies.ts).

import { discoveryKey } from '../policies/oidc-discovery.ts';
import {
  AI_GATEWAY_GROUP,
  type AIGatewayRouteRule,
  type AIGatewayRouteRuleBackendRef,
  type AIGatewayRouteSpec,
  type AIServiceBackendSpec,
  type BackendSecurityPolicySpec,
} from '../resources/ai-gateway.ts';
import type { SecretObjectReference } from '../resources/gateway-api.ts';
import type { ObjectMeta } from '../resources/kubernetes.ts';
import {
  ANY_NAME,
  CORE_GROUP,
  GATEWAY_GROUP,
  type ResourceKey,
  resourceKey,
} from '../resources/resource-key.ts';
import { asArray } from '../shared/arrays.ts';
import { normalizeGroup } from '../shared/reference-grants.ts';
import { accessTokenKey } from './access-tokens.ts';
import { oidcClientSecretRef, oidcIssuerOf } from './oidc-client.ts';
import { parentRefsOf } from './route-evaluation.ts';

/** What an AI object's evaluation reads (for the reverse dependency index). */
export function aiGatewayDependencies(object: {
  kind?: unknown;
  metadata?: ObjectMeta;
  spec?: unknown;
}): ResourceKey[] {
  const namespace = typeof object?.metadata?.namespace === 'string' ? object.metadata.namespace : '';
  switch (object?.kind) {
    case 'AIGatewayRoute':
      return routeDependencies((object.spec ?? {}) as Partial<AIGatewayRouteSpec>, namespace);
    case 'AIServiceBackend':
      return backendDependencies((object.spec ?? {}) as Partial<AIServiceBackendSpec>, namespace);
    case 'BackendSecurityPolicy':
      return policyDependencies(
        (object.spec ?? {}) as Partial<BackendSecurityPolicySpec>,
        namespace,
        typeof object.metadata?.name === 'string' ? object.metadata.name : '',
      );
    default:
      return [];
  }
}

/** Its namespace (labels decide attachment), its parents, its AIServiceBackends. */
function routeDependencies(spec: Partial<AIGatewayRouteSpec>, namespace: string): ResourceKey[] {
  const out = [resourceKey(CORE_GROUP, 'Namespace', undefined, namespace)];
  for (const ref of parentRefsOf(spec)) {
    out.push(
      resourceKey(ref.group ?? GATEWAY_GROUP, ref.kind ?? 'Gateway', ref.namespace || namespace, ref.name),
    );
    // Its Gateway's GatewayConfig (global costs), by the Gateway's annotation.
    out.push(resourceKey(AI_GATEWAY_GROUP, 'GatewayConfig', ref.namespace || namespace, ANY_NAME));
  }
  for (const rule of asArray<AIGatewayRouteRule>(spec.rules)) {
    for (const ref of asArray<AIGatewayRouteRuleBackendRef>(rule?.backendRefs)) {
      if (typeof ref?.name !== 'string') continue;
      out.push(resourceKey(AI_GATEWAY_GROUP, 'AIServiceBackend', ref.namespace || namespace, ref.name));
      // An AIServiceBackend in another namespace is used when a ReferenceGrant there allows it.
      if (ref.namespace && ref.namespace !== namespace)
        out.push(resourceKey(GATEWAY_GROUP, 'ReferenceGrant', ref.namespace, ANY_NAME));
    }
  }
  return out;
}

/** Its Service, and every BackendSecurityPolicy of its namespace (policies name their targets). */
function backendDependencies(spec: Partial<AIServiceBackendSpec>, namespace: string): ResourceKey[] {
  const out: ResourceKey[] = [];
  const ref = spec.backendRef;
  if (typeof ref?.name === 'string') {
    out.push(
      resourceKey(normalizeGroup(ref.group), ref.kind ?? 'Service', ref.namespace || namespace, ref.name),
    );
  }
  out.push(resourceKey(AI_GATEWAY_GROUP, 'BackendSecurityPolicy', namespace, ANY_NAME));
  out.push(resourceKey(AI_GATEWAY_GROUP, 'QuotaPolicy', namespace, ANY_NAME));
  return out;
}

/**
 * The Secrets holding its credentials (with the ReferenceGrants of their namespaces), the access token the controller
 * fetches with them (access-tokens.ts), and the discovery document of the OIDC provider an `oidcExchangeToken` names.
 */
function policyDependencies(
  spec: Partial<BackendSecurityPolicySpec>,
  namespace: string,
  name: string,
): ResourceKey[] {
  const holders = [
    spec.apiKey,
    spec.azureAPIKey,
    spec.anthropicAPIKey,
    spec.awsCredentials?.credentialsFile,
    spec.gcpCredentials?.credentialsFile as { secretRef?: SecretObjectReference } | undefined,
    { secretRef: spec.azureCredentials?.clientSecretRef as SecretObjectReference | undefined },
    { secretRef: oidcClientSecretRef(spec.azureCredentials?.oidcExchangeToken) },
    { secretRef: oidcClientSecretRef(spec.awsCredentials?.oidcExchangeToken) },
    {
      secretRef: oidcClientSecretRef(
        (spec.gcpCredentials?.workloadIdentityFederationConfig as { oidcExchangeToken?: unknown } | undefined)
          ?.oidcExchangeToken,
      ),
    },
  ];
  const secrets: ResourceKey[] = [];
  for (const ref of holders.map((holder) => holder?.secretRef)) {
    if (typeof ref?.name !== 'string') continue;
    const target = ref.namespace || namespace;
    secrets.push(resourceKey(CORE_GROUP, 'Secret', target, ref.name));
    // A Secret in another namespace is read when a ReferenceGrant there allows it.
    if (target !== namespace) secrets.push(resourceKey(GATEWAY_GROUP, 'ReferenceGrant', target, ANY_NAME));
  }
  const token = accessTokenKey(namespace, name, spec);
  if (token === undefined) return secrets;
  const issuer = oidcIssuerOf(spec);
  return issuer === undefined ? [...secrets, token] : [...secrets, token, discoveryKey(issuer)];
}
