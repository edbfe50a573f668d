// What a policy's services resolve to: `backendRefs` (a Service, with the port it exposes, or an Envoy Gateway
// Backend, in the policy's namespace or granted by a ReferenceGrant to the policy's kind) read the way a route's
// backendRefs are, with the BackendTLSPolicy in force for a Service and the Backend's own TLS for a Backend; and
// the Secrets and ConfigMaps policies read.
import { resolveBackendRef } from '../gateway-api/backend-refs.ts';
import type { PolicyBackendIR, PolicyDestinationIR } from '../ir/policies.ts';
import { ENVOY_GATEWAY_GROUP } from '../resources/envoy-gateway.ts';
import type {
  BackendCluster,
  EnvoyGatewayPolicy,
  SecretObjectReference,
} from '../resources/envoy-gateway-policies.ts';
import { isReferenceAllowed, normalizeGroup } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { CLUSTER_POLICY_CONTEXT, type PolicyContext } from './attachment.ts';
import { resolveBackend } from './backend.ts';

export type Resolved<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

export function failure<T>(message: string): Resolved<T> {
  return { ok: false, message };
}

/** The one backend a policy's service is reached at (`backendRefs`, or the deprecated `backendRef`). */
export function resolvePolicyBackend(
  policy: EnvoyGatewayPolicy,
  cluster: BackendCluster | undefined,
  view: ResourceView,
  field: string,
  context: PolicyContext = CLUSTER_POLICY_CONTEXT,
): Resolved<PolicyDestinationIR> {
  if (cluster?.backendSettings !== undefined)
    return failure(`${field}.backendSettings: not supported by Switchyard; remove it`);
  const refs = Array.isArray(cluster?.backendRefs) ? cluster.backendRefs : [];
  const all =
    cluster?.backendRef === undefined || cluster.backendRef === null ? refs : [cluster.backendRef, ...refs];
  const where = cluster?.backendRef === undefined ? `${field}.backendRefs` : `${field}.backendRef`;
  if (all.length === 0) return failure(`${where}: a backend is required`);
  if (all.length > 1) return failure(`${where}: Switchyard supports one backend per service; list one`);
  const ref = all[0]!;
  const group = normalizeGroup(ref.group);
  const kind = ref.kind ?? 'Service';
  const namespace = policy.metadata?.namespace ?? '';
  if (group === ENVOY_GATEWAY_GROUP && kind === 'Backend')
    return policyBackend(
      policy,
      ref.namespace || namespace,
      String(ref.name ?? ''),
      view,
      `${where}[0]`,
      context,
    );
  if (group !== '' || kind !== 'Service')
    return failure(
      `${where}[0]: ${group || 'core'}/${kind} is not supported as a policy backend; use a Service or a ${ENVOY_GATEWAY_GROUP} Backend`,
    );
  const result = resolveBackendRef(
    {
      group: '',
      kind: 'Service',
      name: ref.name ?? '',
      ...(ref.namespace ? { namespace: ref.namespace } : {}),
      ...(ref.port === undefined ? {} : { port: ref.port }),
    } as never,
    { kind: 'HTTPRoute', namespace, grantFrom: { group: ENVOY_GATEWAY_GROUP, kind: policy.kind } },
    view,
    `${where}[0]`,
  );
  if (!result.ok) return failure(result.message);
  const backend: PolicyBackendIR = { ...result.backend, weight: 1 };
  return { ok: true, value: { kind: 'backends', backends: [backend] } };
}

/**
 * A Backend as the services policies call may use one (Envoy Gateway's rules): Unix sockets allowed, loopback
 * addresses and single-label names only when the data plane runs on this host; another namespace needs a
 * ReferenceGrant to the policy's kind.
 */
function policyBackend(
  policy: EnvoyGatewayPolicy,
  namespace: string,
  name: string,
  view: ResourceView,
  field: string,
  context: PolicyContext,
): Resolved<PolicyDestinationIR> {
  const allowed = isReferenceAllowed(
    view,
    { group: ENVOY_GATEWAY_GROUP, kind: policy.kind, namespace: policy.metadata?.namespace ?? '' },
    { group: ENVOY_GATEWAY_GROUP, kind: 'Backend', namespace, name },
  );
  if (!allowed)
    return failure(
      `${field}: Backend ${namespace}/${name} is in another namespace and no ReferenceGrant allows it`,
    );
  const resolved = resolveBackend(view, namespace, name, {
    hostDataPlane: context.hostDataPlane,
    unixSockets: true,
  });
  if (!resolved.ok) return failure(`${field}: ${resolved.message}`);
  return { ok: true, value: { kind: 'backends', backends: [{ ...resolved.backend, weight: 1 }] } };
}

/** The data of a Secret key (decoded), or why not. Cross-namespace Secrets need a ReferenceGrant. */
export function secretValue(
  policy: EnvoyGatewayPolicy,
  ref: SecretObjectReference | undefined,
  key: string | undefined,
  view: ResourceView,
  field: string,
): Resolved<{ name: string; data: Record<string, string> }> {
  const group = normalizeGroup(ref?.group);
  const kind = ref?.kind ?? 'Secret';
  if (group !== '' || kind !== 'Secret')
    return failure(`${field}: ${group || 'core'}/${kind} is not a Secret`);
  const policyNamespace = policy.metadata?.namespace ?? '';
  const namespace = ref?.namespace || policyNamespace;
  const name = String(ref?.name ?? '');
  if (
    !isReferenceAllowed(
      view,
      { group: ENVOY_GATEWAY_GROUP, kind: policy.kind, namespace: policyNamespace },
      { group: '', kind: 'Secret', namespace, name },
    )
  )
    return failure(
      `${field}: Secret ${namespace}/${name} is in another namespace and no ReferenceGrant allows it`,
    );
  const secret = view.get('Secret', namespace, name);
  if (secret === undefined) return failure(`${field}: Secret ${namespace}/${name} not found`);
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {}))
    data[k] = Buffer.from(String(v), 'base64').toString('utf8');
  for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] = String(v);
  if (key !== undefined && data[key] === undefined)
    return failure(`${field}: Secret ${namespace}/${name} has no key ${key}`);
  return { ok: true, value: { name: `${namespace}/${name}`, data } };
}

/** The value of a ConfigMap key (`key`, else the first), or why not; ConfigMaps are read in the policy's namespace. */
export function configMapValue(
  policy: EnvoyGatewayPolicy,
  name: string,
  key: string | undefined,
  view: ResourceView,
  field: string,
  fallbackToFirst: boolean,
): Resolved<string> {
  const namespace = policy.metadata?.namespace ?? '';
  const configMap = view.get('ConfigMap', namespace, name);
  if (configMap === undefined) return failure(`${field}: ConfigMap ${namespace}/${name} not found`);
  const data = configMap.data ?? {};
  const value = key === undefined ? undefined : data[key];
  if (value !== undefined) return { ok: true, value };
  const first = fallbackToFirst ? Object.keys(data).sort()[0] : undefined;
  if (first !== undefined) return { ok: true, value: data[first]! };
  return failure(`${field}: ConfigMap ${namespace}/${name} has no key ${key ?? ''}`);
}

/** A URI's host and port as a policy's service (a DNS cluster; TLS against the system trust store for https). */
export function uriDestination(url: URL): PolicyDestinationIR {
  return {
    kind: 'uri',
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
    tls: url.protocol === 'https:',
  };
}
