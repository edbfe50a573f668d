// AIServiceBackend: whether it can be used, and what using it means: the Envoy Gateway Backend or Service Envoy
// sends its traffic to (a Backend's DNS name, or an ExternalName Service, gives the provider's host), the schema the ext_proc service translates to, its header and
// body mutations, and the credentials of the one BackendSecurityPolicy that applies. A policy that cannot be used
// does not make the backend unusable: the service answers its requests 401 with the reason (never an
// unauthenticated call), while the statuses say what to fix.

import { resolveBackend } from '../policies/backend.ts';
import type {
  AIServiceBackend,
  HTTPBodyMutation,
  HTTPHeaderMutation,
  VersionedAPISchema,
} from '../resources/ai-gateway.ts';
import { ENVOY_GATEWAY_GROUP } from '../resources/envoy-gateway.ts';
import type { BackendObjectReference } from '../resources/gateway-api.ts';
import { CORE_GROUP } from '../resources/resource-key.ts';
import { normalizeGroup } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import type { ExtProcAuth } from './extproc-config.ts';
import { policiesOf, policyAuth } from './security-policies.ts';
import type { Problem } from './statuses.ts';

const SCHEMAS = [
  'OpenAI',
  'AzureOpenAI',
  'Anthropic',
  'AWSBedrock',
  'AWSAnthropic',
  'GCPVertexAI',
  'GCPAnthropic',
  'Cohere',
];
/** Schemas whose `version` the service uses (api-version; anthropic_version; Cohere's), and those with a path `prefix`. */
const VERSIONED = new Set(['AzureOpenAI', 'AWSAnthropic', 'GCPAnthropic', 'Cohere']);
const PREFIXED = new Set(['OpenAI', 'Anthropic']);

/** A resolved AIServiceBackend: where Envoy sends its traffic and what the ext_proc service needs. */
export interface BackendVerdict {
  readonly ok: boolean;
  readonly problem?: Problem;
  readonly service?: BackendObjectReference;
  readonly schema?: VersionedAPISchema;
  readonly host?: string;
  readonly auth?: ExtProcAuth;
  /** Why the backend's policy cannot be used (its requests are answered 401). */
  readonly authProblem?: Problem;
  readonly headerMutation?: HTTPHeaderMutation;
  readonly bodyMutation?: HTTPBodyMutation;
}

/**
 * Whether an AIServiceBackend can be used: a Backend or Service backendRef, a supported schema, a usable policy.
 * `hostDataPlane`: standalone mode, where a Backend may name host-only addresses (policies/backend.ts).
 */
export function resolveAIServiceBackend(
  backend: AIServiceBackend,
  view: ResourceView,
  hostDataPlane = false,
): BackendVerdict {
  const namespace = backend.metadata?.namespace ?? '';
  const spec = backend.spec ?? {};
  const schemaName = spec.schema?.name;
  if (typeof schemaName !== 'string' || !SCHEMAS.includes(schemaName)) {
    return fail(
      'UnsupportedValue',
      `spec.schema.name: must be one of ${SCHEMAS.join(', ')}, not '${String(schemaName)}'`,
    );
  }
  const ref = serviceRef(spec.backendRef, namespace);
  if ('reason' in ref) return { ok: false, problem: ref };
  const target =
    ref.kind === 'Backend'
      ? backendTarget(ref.name, namespace, view, hostDataPlane)
      : serviceTarget(ref, namespace, view);
  if ('reason' in target) return { ok: false, problem: target };
  const auth = backendAuth(backend, view);
  const gcpSchema = schemaName === 'GCPVertexAI' || schemaName === 'GCPAnthropic';
  const located = auth !== undefined && 'auth' in auth && auth.auth !== undefined && 'gcp' in auth.auth;
  if (gcpSchema && !located) {
    return fail(
      auth !== undefined && 'reason' in auth ? auth.reason : 'UnsupportedValue',
      auth !== undefined && 'reason' in auth
        ? auth.message
        : `spec.schema.name: ${schemaName} needs a BackendSecurityPolicy of type GCPCredentials (its projectName and region)`,
    );
  }
  const schema: VersionedAPISchema = { name: schemaName };
  if (VERSIONED.has(schemaName) && typeof spec.schema?.version === 'string' && spec.schema.version !== '')
    schema.version = spec.schema.version;
  if (PREFIXED.has(schemaName) && typeof spec.schema?.prefix === 'string' && spec.schema.prefix !== '')
    schema.prefix = spec.schema.prefix;
  const verdict: BackendVerdict = {
    ok: auth === undefined || !('reason' in auth),
    service: target.ref,
    schema,
    ...(target.host === undefined ? {} : { host: target.host }),
    ...(auth === undefined
      ? {}
      : 'reason' in auth
        ? {
            problem: { reason: auth.reason, message: auth.message },
            authProblem: { reason: auth.reason, message: auth.message },
            auth: auth.auth ?? { unavailable: auth.message },
          }
        : { auth: auth.auth }),
    ...(spec.headerMutation === undefined ? {} : { headerMutation: spec.headerMutation }),
    ...(spec.bodyMutation === undefined ? {} : { bodyMutation: spec.bodyMutation }),
  };
  return verdict;
}

/**
 * `spec.backendRef` must name an Envoy Gateway Backend (as Envoy AI Gateway expects), or a Service port, in the
 * backend's own namespace.
 */
function serviceRef(
  ref: BackendObjectReference | undefined,
  namespace: string,
): { readonly kind: 'Backend' | 'Service'; readonly name: string; readonly port?: number } | Problem {
  if (typeof ref?.name !== 'string' || ref.name === '')
    return { reason: 'UnsupportedValue', message: 'spec.backendRef.name: required' };
  const group = normalizeGroup(ref.group);
  const kind = ref.kind ?? 'Service';
  const isBackend = group === ENVOY_GATEWAY_GROUP && kind === 'Backend';
  if (!isBackend && (group !== CORE_GROUP || kind !== 'Service')) {
    return {
      reason: 'InvalidKind',
      message: `spec.backendRef: ${group || 'core'}/${kind} is not supported; reference a ${ENVOY_GATEWAY_GROUP} Backend or a Service`,
    };
  }
  if (typeof ref.namespace === 'string' && ref.namespace !== '' && ref.namespace !== namespace) {
    return {
      reason: 'RefNotPermitted',
      message: `spec.backendRef.namespace: the ${kind} must be in the AIServiceBackend's namespace ${namespace}`,
    };
  }
  if (isBackend) return { kind: 'Backend', name: ref.name };
  if (typeof ref.port !== 'number')
    return { reason: 'UnsupportedValue', message: 'spec.backendRef.port: required for a Service' };
  return { kind: 'Service', name: ref.name, port: ref.port };
}

interface Target {
  /** The backendRef of the HTTPRoute the AIGatewayRoute routes as. */
  readonly ref: BackendObjectReference;
  /** The provider's host name, when the target names one. */
  readonly host?: string;
}

/** An Envoy Gateway Backend: usable as a route's backend is; its DNS name is the provider's host. */
function backendTarget(
  name: string,
  namespace: string,
  view: ResourceView,
  hostDataPlane: boolean,
): Target | Problem {
  const resolved = resolveBackend(view, namespace, name, { hostDataPlane, unixSockets: hostDataPlane });
  if (!resolved.ok) return { reason: resolved.reason, message: `spec.backendRef: ${resolved.message}` };
  const first = resolved.backend.endpoints[0];
  const host =
    resolved.backend.addressType === 'FQDN' && first !== undefined && 'address' in first
      ? first.address
      : undefined;
  return {
    ref: { group: ENVOY_GATEWAY_GROUP, kind: 'Backend', name, namespace },
    ...(host === undefined ? {} : { host }),
  };
}

/** A Service port; an ExternalName Service's name is the provider's host. */
function serviceTarget(
  ref: { name: string; port?: number },
  namespace: string,
  view: ResourceView,
): Target | Problem {
  const service = view.get('Service', namespace, ref.name);
  if (service === undefined) {
    return {
      reason: 'BackendNotFound',
      message: `spec.backendRef: Service ${namespace}/${ref.name} not found`,
    };
  }
  const externalName = service.spec?.type === 'ExternalName' ? service.spec.externalName : undefined;
  return {
    ref: {
      group: CORE_GROUP,
      kind: 'Service',
      name: ref.name,
      namespace,
      ...(ref.port === undefined ? {} : { port: ref.port }),
    },
    ...(typeof externalName === 'string' && externalName !== '' ? { host: externalName } : {}),
  };
}

/** The credentials of the one policy that applies (none: no credentials); two or more conflict. */
function backendAuth(
  backend: AIServiceBackend,
  view: ResourceView,
): { auth: ExtProcAuth } | (Problem & { auth?: ExtProcAuth }) | undefined {
  const policies = policiesOf(backend, view);
  if (policies.length > 1) {
    return {
      reason: 'Conflicted',
      message: `BackendSecurityPolicies ${policies.map((p) => p.metadata.name).join(', ')} all target this backend; keep one`,
    };
  }
  if (policies.length === 0) return undefined;
  const verdict = policyAuth(policies[0]!, view);
  if ('reason' in verdict)
    return {
      reason: verdict.reason,
      message: `BackendSecurityPolicy ${policies[0]!.metadata.name}: ${verdict.message}`,
      // A GCP backend keeps its location: the service loads it and answers its requests with the reason.
      ...('auth' in verdict && verdict.auth !== undefined ? { auth: verdict.auth } : {}),
    };
  return verdict;
}

function fail(reason: string, message: string): BackendVerdict {
  return { ok: false, problem: { reason, message } };
}
