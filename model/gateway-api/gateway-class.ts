// GatewayClass: whether we own it, its parameters (our GatewayClassParameters or an Envoy Gateway EnvoyProxy), and
// its status.

import type { ResolvedGatewayClassParameters } from '../ir/gateway-ir.ts';
import { isEnvoyProxyReference, lookUpEnvoyProxy } from '../policies/envoy-proxy.ts';
import { ENVOY_GATEWAY_GROUP } from '../resources/envoy-gateway.ts';
import type { GatewayClass, GatewayClassStatus } from '../resources/gateway-api.ts';
import { SWITCHYARD_GROUP } from '../resources/resource-key.ts';
import type { GatewayClassParametersSpec } from '../resources/switchyard.ts';
import {
  ConditionType,
  condition,
  GatewayClassReason,
  mergeConditions,
  type Stamp,
} from '../shared/conditions.ts';
import type { ResourceView } from '../shared/resource-view.ts';

export const DEFAULT_CONTROLLER_NAME = 'switchyard.dev/gateway-controller';

/** Gateway API bundle versions (major.minor) whose CRDs we implement. */
export const SUPPORTED_BUNDLE_VERSIONS: readonly string[] = ['v1.6'];

/**
 * Features a class of the Envoy backend claims in status.supportedFeatures: exactly those whose upstream
 * conformance tests pass (test/conformance/, docs/conformance.md). Sorted.
 */
export const SUPPORTED_FEATURES: readonly string[] = [
  'BackendTLSPolicy',
  'BackendTLSPolicySANValidation',
  'GRPCRoute',
  'GRPCRouteNamedRouteRule',
  'Gateway',
  'GatewayAddressEmpty',
  'GatewayFrontendClientCertificateValidation',
  'GatewayFrontendClientCertificateValidationInsecureFallback',
  'GatewayHTTPListenerIsolation',
  'GatewayInfrastructure',
  'GatewayPort8080',
  'HTTPRoute',
  'HTTPRoute303RedirectStatusCode',
  'HTTPRoute307RedirectStatusCode',
  'HTTPRoute308RedirectStatusCode',
  'HTTPRouteBackendProtocolH2C',
  'HTTPRouteBackendProtocolWebSocket',
  'HTTPRouteBackendRequestHeaderModification',
  'HTTPRouteBackendTimeout',
  'HTTPRouteCORS',
  'HTTPRouteDestinationPortMatching',
  'HTTPRouteHostRewrite',
  'HTTPRouteMethodMatching',
  'HTTPRouteNamedRouteRule',
  'HTTPRouteParentRefPort',
  'HTTPRoutePathRedirect',
  'HTTPRoutePathRewrite',
  'HTTPRoutePortRedirect',
  'HTTPRouteQueryParamMatching',
  'HTTPRouteRequestMirror',
  'HTTPRouteRequestMultipleMirrors',
  'HTTPRouteRequestPercentageMirror',
  'HTTPRouteRequestTimeout',
  'HTTPRouteResponseHeaderModification',
  'HTTPRouteRetry',
  'HTTPRouteSchemeRedirect',
  'ListenerSet',
  'ReferenceGrant',
  'TLSRoute',
  'TLSRouteModeMixed',
  'TLSRouteModeTerminate',
];

/** What a class of another backend claims: the conformance suite runs against the Envoy backend only. */
export const CORE_HTTP_FEATURES: readonly string[] = ['Gateway', 'HTTPRoute', 'ReferenceGrant'];

export const DEFAULT_GATEWAY_CLASS_PARAMETERS: ResolvedGatewayClassParameters = {
  backend: 'envoy',
  dataPlane: { replicas: 1, serviceType: 'LoadBalancer' },
  xds: {},
};

export type ParametersResult =
  | { readonly ok: true; readonly parameters: ResolvedGatewayClassParameters }
  | { readonly ok: false; readonly message: string };

export function isOurGatewayClass(gatewayClass: GatewayClass | undefined, controllerName: string): boolean {
  return gatewayClass?.spec?.controllerName === controllerName;
}

/** Resolves spec.parametersRef: absent → defaults; anything but an existing, valid GatewayClassParameters → error. */
export function resolveGatewayClassParameters(
  gatewayClass: GatewayClass,
  view: ResourceView,
): ParametersResult {
  const ref = gatewayClass.spec?.parametersRef;
  if (ref === undefined || ref === null) return { ok: true, parameters: DEFAULT_GATEWAY_CLASS_PARAMETERS };
  if (isEnvoyProxyReference(ref)) {
    // An EnvoyProxy instead of our parameters: the Envoy data plane with default parameters, its settings applied
    // to every Gateway of the class (policies/envoy-proxy.ts).
    const found = lookUpEnvoyProxy(view, ref.namespace, String(ref.name), 'spec.parametersRef');
    return found.ok ? { ok: true, parameters: DEFAULT_GATEWAY_CLASS_PARAMETERS } : found;
  }
  if (ref.group !== SWITCHYARD_GROUP || ref.kind !== 'GatewayClassParameters') {
    return {
      ok: false,
      message: `spec.parametersRef: unsupported ${ref.group}/${ref.kind}; use group ${SWITCHYARD_GROUP}, kind GatewayClassParameters, or group ${ENVOY_GATEWAY_GROUP}, kind EnvoyProxy`,
    };
  }
  if (ref.namespace !== undefined && ref.namespace !== '') {
    return {
      ok: false,
      message: 'spec.parametersRef.namespace: GatewayClassParameters is cluster-scoped; remove it',
    };
  }
  const parameters = view.get('GatewayClassParameters', undefined, String(ref.name));
  if (parameters === undefined) {
    return { ok: false, message: `spec.parametersRef: GatewayClassParameters ${ref.name} not found` };
  }
  return validateParameters(parameters.spec ?? {});
}

function validateParameters(spec: GatewayClassParametersSpec): ParametersResult {
  const backend = spec.backend ?? 'envoy';
  if (backend !== 'envoy' && backend !== 'agentgateway') {
    return { ok: false, message: `spec.backend: ${String(backend)} is not one of envoy, agentgateway` };
  }
  const replicas = spec.dataPlane?.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 0) {
    return {
      ok: false,
      message: `spec.dataPlane.replicas: ${String(replicas)} is not a non-negative integer`,
    };
  }
  const serviceType = spec.dataPlane?.serviceType ?? 'LoadBalancer';
  if (!['ClusterIP', 'NodePort', 'LoadBalancer'].includes(serviceType)) {
    return {
      ok: false,
      message: `spec.dataPlane.serviceType: ${String(serviceType)} is not one of ClusterIP, NodePort, LoadBalancer`,
    };
  }
  const image = spec.dataPlane?.image;
  if (image !== undefined && typeof image !== 'string') {
    return { ok: false, message: 'spec.dataPlane.image: must be a string' };
  }
  const address = spec.xds?.address;
  if (address !== undefined && typeof address !== 'string') {
    return { ok: false, message: 'spec.xds.address: must be a string' };
  }
  return {
    ok: true,
    parameters: {
      backend,
      dataPlane: { ...(image === undefined ? {} : { image }), replicas, serviceType },
      xds: address === undefined ? {} : { address },
    },
  };
}

export interface GatewayClassStatusOptions extends Pick<Stamp, 'now'> {
  readonly controllerName: string;
  /** `gateway.networking.k8s.io/bundle-version` of the installed CRDs, when known. */
  readonly installedBundleVersion?: string;
}

/** The status of a GatewayClass we own; undefined when another controller owns it (never touch its status). */
export function computeGatewayClassStatus(
  gatewayClass: GatewayClass,
  view: ResourceView,
  options: GatewayClassStatusOptions,
): GatewayClassStatus | undefined {
  if (!isOurGatewayClass(gatewayClass, options.controllerName)) return undefined;
  const stamp: Stamp = { generation: gatewayClass.metadata?.generation, now: options.now };
  const version = options.installedBundleVersion;
  const versionSupported =
    version === undefined || SUPPORTED_BUNDLE_VERSIONS.some((v) => version.startsWith(v));
  const supportedVersion = versionSupported
    ? condition(
        ConditionType.SupportedVersion,
        'True',
        GatewayClassReason.SupportedVersion,
        'Gateway API CRDs are supported',
      )
    : condition(
        ConditionType.SupportedVersion,
        'False',
        GatewayClassReason.UnsupportedVersion,
        `installed Gateway API CRDs ${version} are not supported; install ${SUPPORTED_BUNDLE_VERSIONS.join(' or ')}`,
      );
  const parameters = resolveGatewayClassParameters(gatewayClass, view);
  const accepted = !versionSupported
    ? condition(
        ConditionType.Accepted,
        'False',
        GatewayClassReason.UnsupportedVersion,
        supportedVersion.message,
      )
    : parameters.ok
      ? condition(ConditionType.Accepted, 'True', GatewayClassReason.Accepted, 'Accepted by the controller')
      : condition(ConditionType.Accepted, 'False', GatewayClassReason.InvalidParameters, parameters.message);
  return {
    conditions: mergeConditions(
      gatewayClass.status?.conditions,
      [accepted, supportedVersion],
      'GatewayClass',
      stamp,
    ),
    supportedFeatures: (parameters.ok && parameters.parameters.backend === 'envoy'
      ? SUPPORTED_FEATURES
      : CORE_HTTP_FEATURES
    ).map((name) => ({ name })),
  };
}
