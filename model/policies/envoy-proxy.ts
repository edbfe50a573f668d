// Envoy Gateway's EnvoyProxy as GatewayClass and Gateway parameters: which of its fields Switchyard applies and how,
// the merge of a Gateway's EnvoyProxy over its class's (mergeType), the settings that result (EnvoyProxyIR: the
// provisioned Deployment and Service, Envoy's log levels, worker threads, extra arguments and access logs), and
// the EnvoyProxy's status.ancestors as Envoy Gateway writes them.
//
// With our own GatewayClassParameters: a GatewayClass names one or the other in spec.parametersRef; a Gateway
// may name an EnvoyProxy in spec.infrastructure.parametersRef whatever its class names. Where both set the same
// thing (replicas, Service type, image), the EnvoyProxy wins: it is the more specific setting when it comes from
// the Gateway, and when it comes from the class the GatewayClassParameters are not in play (docs/policies.md).

import { isIP } from 'node:net';
import type { AccessLogIR, EnvoyProxyIR } from '../ir/envoy-gateway.ts';
import {
  ENVOY_GATEWAY_GROUP,
  ENVOY_PROXY_SPEC,
  type EnvoyProxy,
  type EnvoyProxyAncestorStatus,
  type EnvoyProxySpec,
  type ProxyAccessLogSetting,
} from '../resources/envoy-gateway.ts';
import { schemaProblems } from '../resources/field-schema.ts';
import type { Gateway, GatewayClass } from '../resources/gateway-api.ts';
import { GATEWAY_GROUP, type ResourceKey, resourceKey } from '../resources/resource-key.ts';
import { ConditionType, condition, mergeConditions, type Stamp } from '../shared/conditions.ts';
import type { ResourceView } from '../shared/resource-view.ts';

export const EnvoyProxyReason = { Accepted: 'Accepted', InvalidParameters: 'InvalidParameters' } as const;

/** Envoy Gateway's default access log fields (JSON to stdout) when an EnvoyProxy names no format. */
export const DEFAULT_ACCESS_LOG_JSON: Readonly<Record<string, string>> = {
  start_time: '%START_TIME%',
  method: '%REQ(:METHOD)%',
  'x-envoy-origin-path': '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  protocol: '%PROTOCOL%',
  response_code: '%RESPONSE_CODE%',
  response_flags: '%RESPONSE_FLAGS%',
  response_code_details: '%RESPONSE_CODE_DETAILS%',
  connection_termination_details: '%CONNECTION_TERMINATION_DETAILS%',
  upstream_transport_failure_reason: '%UPSTREAM_TRANSPORT_FAILURE_REASON%',
  bytes_received: '%BYTES_RECEIVED%',
  bytes_sent: '%BYTES_SENT%',
  duration: '%DURATION%',
  'x-envoy-upstream-service-time': '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
  'x-forwarded-for': '%REQ(X-FORWARDED-FOR)%',
  'user-agent': '%REQ(USER-AGENT)%',
  'x-request-id': '%REQ(X-REQUEST-ID)%',
  ':authority': '%REQ(:AUTHORITY)%',
  upstream_host: '%UPSTREAM_HOST%',
  upstream_cluster: '%UPSTREAM_CLUSTER%',
  upstream_local_address: '%UPSTREAM_LOCAL_ADDRESS%',
  downstream_local_address: '%DOWNSTREAM_LOCAL_ADDRESS%',
  downstream_remote_address: '%DOWNSTREAM_REMOTE_ADDRESS%',
  requested_server_name: '%REQUESTED_SERVER_NAME%',
  route_name: '%ROUTE_NAME%',
};

// Envoy Gateway's list without `system`, which Envoy 1.40 refuses to start with (no such logger).
const LOG_COMPONENTS = [
  'default',
  'upstream',
  'http',
  'connection',
  'admin',
  'client',
  'filter',
  'main',
  'router',
  'runtime',
];
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical', 'off'];
/** Flags Switchyard sets itself: an extraArg cannot replace them. */
const MANAGED_FLAGS = [
  '-c',
  '--config-path',
  '--config-yaml',
  '-l',
  '--log-level',
  '--component-log-level',
  '--concurrency',
  '--service-node',
  '--service-cluster',
  '--disable-hot-restart',
  '--base-id',
  '--mode',
];

/** Fields Envoy Gateway defines that Switchyard does not apply: an EnvoyProxy setting them is refused. */
const UNSUPPORTED: readonly (readonly [path: string, why: string])[] = [
  ['provider.host.envoyVersion', 'the Envoy version is the one the controller runs or the image names'],
  ['provider.kubernetes.envoyDeployment.pod.securityContext', 'the pod security context is fixed'],
  [
    'provider.kubernetes.envoyDeployment.container.securityContext',
    'the container security context is fixed',
  ],
  ['provider.kubernetes.envoyDeployment.patch', 'patches are not supported'],
  ['provider.kubernetes.envoyDeployment.name', 'provisioned objects are named after the Gateway'],
  ['provider.kubernetes.envoyDaemonSet', 'the data plane runs as a Deployment'],
  ['provider.kubernetes.envoyHpa', 'autoscaling is not supported'],
  ['provider.kubernetes.envoyPDB', 'pod disruption budgets are not supported'],
  ['provider.kubernetes.envoyServiceAccount', 'the service account is named after the Gateway'],
  ['provider.kubernetes.envoyService.patch', 'patches are not supported'],
  ['provider.kubernetes.envoyService.name', 'provisioned objects are named after the Gateway'],
  ['telemetry.tracing', 'tracing is not supported'],
  ['telemetry.metrics', 'metrics settings are not supported'],
  ['telemetry.requestID', 'request ID settings are not supported'],
  ['telemetry.healthCheckLog', 'health-check logs are not supported'],
  ['bootstrap', 'the bootstrap is Switchyard’s own'],
  ['mergeBackends', 'clusters are already one per backend'],
  ['shutdown', 'drain settings are not supported'],
  ['filterOrder', 'the HTTP filter order is fixed'],
  ['backendTLS', 'set TLS on each Backend instead'],
  ['dynamicModules', 'dynamic modules are not supported'],
  ['geoIP', 'GeoIP is not supported'],
];

function at(spec: unknown, path: string): unknown {
  let value = spec;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** What keeps this EnvoyProxy from being applied, naming the field; undefined when Switchyard applies all of it. */
export function envoyProxyProblem(proxy: EnvoyProxy): string | undefined {
  // Unknown fields and wrong types first, as strict field validation would name them.
  const strict = schemaProblems(proxy.spec ?? {}, ENVOY_PROXY_SPEC, 'spec');
  if (strict.length > 0) return strict.join('; ');
  const spec: EnvoyProxySpec = proxy.spec ?? {};
  for (const [path, why] of UNSUPPORTED) {
    if (at(spec, path) !== undefined) return `spec.${path}: not supported by Switchyard (${why})`;
  }
  const type = spec.provider?.type;
  if (spec.provider !== undefined && type !== 'Kubernetes' && type !== 'Host') {
    return `spec.provider.type: ${String(type)} is not Kubernetes or Host`;
  }
  const kubernetes = spec.provider?.kubernetes;
  if (kubernetes?.useListenerPortAsContainerPort === false) {
    return 'spec.provider.kubernetes.useListenerPortAsContainerPort: false is not supported (the data plane listens on the listener ports themselves)';
  }
  const deployment = kubernetes?.envoyDeployment;
  const replicas = deployment?.replicas;
  if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 0)) {
    return `spec.provider.kubernetes.envoyDeployment.replicas: ${String(replicas)} is not a non-negative integer`;
  }
  const container = deployment?.container;
  if (container?.image !== undefined && container.imageRepository !== undefined) {
    return 'spec.provider.kubernetes.envoyDeployment.container: image and imageRepository are mutually exclusive';
  }
  if (container?.imageRepository !== undefined && /[:@][^/]*$/.test(container.imageRepository)) {
    return 'spec.provider.kubernetes.envoyDeployment.container.imageRepository: must not include a tag';
  }
  const service = kubernetes?.envoyService;
  if (service !== undefined) {
    const serviceType = service.type ?? 'LoadBalancer';
    const field = 'spec.provider.kubernetes.envoyService';
    if (!['ClusterIP', 'LoadBalancer', 'NodePort'].includes(serviceType)) {
      return `${field}.type: ${String(serviceType)} is not ClusterIP, LoadBalancer or NodePort`;
    }
    for (const lbOnly of [
      'allocateLoadBalancerNodePorts',
      'loadBalancerSourceRanges',
      'loadBalancerIP',
      'loadBalancerClass',
    ] as const) {
      if (service[lbOnly] !== undefined && serviceType !== 'LoadBalancer') {
        return `${field}.${lbOnly}: can only be set for type LoadBalancer`;
      }
    }
    for (const [i, range] of (service.loadBalancerSourceRanges ?? []).entries()) {
      if (!isCidr(range)) return `${field}.loadBalancerSourceRanges[${i}]: ${String(range)} is not a CIDR`;
    }
    if (service.loadBalancerIP !== undefined && isIP(service.loadBalancerIP) !== 4) {
      return `${field}.loadBalancerIP: ${String(service.loadBalancerIP)} is not an IPv4 address`;
    }
    if (service.externalTrafficPolicy !== undefined) {
      if (!['Local', 'Cluster'].includes(service.externalTrafficPolicy)) {
        return `${field}.externalTrafficPolicy: ${String(service.externalTrafficPolicy)} is not Local or Cluster`;
      }
      if (serviceType === 'ClusterIP') {
        return `${field}.externalTrafficPolicy: can only be set for types LoadBalancer and NodePort`;
      }
    }
  }
  for (const [component, level] of Object.entries(spec.logging?.level ?? {})) {
    if (!LOG_COMPONENTS.includes(component)) {
      return `spec.logging.level.${component}: not a component (${LOG_COMPONENTS.join(', ')})`;
    }
    if (!LOG_LEVELS.includes(level)) {
      return `spec.logging.level.${component}: ${String(level)} is not one of ${LOG_LEVELS.join(', ')}`;
    }
  }
  if (spec.concurrency !== undefined && (!Number.isInteger(spec.concurrency) || spec.concurrency < 1)) {
    return `spec.concurrency: ${String(spec.concurrency)} is not a positive integer`;
  }
  for (const [i, arg] of (spec.extraArgs ?? []).entries()) {
    const flag = String(arg).split('=')[0] ?? '';
    if (MANAGED_FLAGS.includes(flag)) return `spec.extraArgs[${i}]: ${flag} is set by Switchyard`;
  }
  if (spec.routingType !== undefined && spec.routingType !== 'Endpoint') {
    return `spec.routingType: ${String(spec.routingType)} is not supported (Switchyard routes to endpoints)`;
  }
  if (spec.mergeGateways === true)
    return 'spec.mergeGateways: merged Gateways are not supported by Switchyard';
  if (spec.ipFamily !== undefined && spec.ipFamily !== 'IPv4') {
    return `spec.ipFamily: ${String(spec.ipFamily)} is not supported (IPv4 listeners only)`;
  }
  if (spec.preserveRouteOrder === true) {
    return 'spec.preserveRouteOrder: not supported (routes are ordered as the Gateway API says)';
  }
  if (spec.mergeType !== undefined && !['Replace', 'StrategicMerge', 'JSONMerge'].includes(spec.mergeType)) {
    return `spec.mergeType: ${String(spec.mergeType)} is not Replace, StrategicMerge or JSONMerge`;
  }
  for (const [i, setting] of (spec.telemetry?.accessLog?.settings ?? []).entries()) {
    const problem = accessLogProblem(setting, `spec.telemetry.accessLog.settings[${i}]`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function accessLogProblem(setting: ProxyAccessLogSetting, field: string): string | undefined {
  if (Array.isArray(setting?.matches) && setting.matches.length > 0) {
    return `${field}.matches: CEL match conditions are not supported by Switchyard`;
  }
  if (setting?.type !== undefined && setting.type !== 'Listener' && setting.type !== 'Route') {
    return `${field}.type: ${String(setting.type)} is not supported (Listener or Route)`;
  }
  const format = setting?.format;
  if (format !== undefined) {
    if (format.type === 'Text' && (typeof format.text !== 'string' || format.json !== undefined)) {
      return `${field}.format: type Text needs text and no json`;
    }
    if (format.type === 'JSON' && format.text !== undefined)
      return `${field}.format: type JSON takes json, not text`;
    if (format.type !== undefined && format.type !== 'Text' && format.type !== 'JSON') {
      return `${field}.format.type: ${String(format.type)} is not Text or JSON`;
    }
    if (format.type === undefined && format.text === undefined && format.json === undefined) {
      return `${field}.format: set text or json`;
    }
  }
  for (const [j, sink] of (setting?.sinks ?? []).entries()) {
    if (sink?.type !== 'File') {
      return `${field}.sinks[${j}].type: ${String(sink?.type)} sinks are not supported by Switchyard (File only)`;
    }
    if (typeof sink.file?.path !== 'string' || sink.file.path === '')
      return `${field}.sinks[${j}].file.path: required`;
  }
  return undefined;
}

function isCidr(range: unknown): boolean {
  if (typeof range !== 'string') return false;
  const [address, bits, ...rest] = range.split('/');
  const family = isIP(address ?? '');
  const prefix = Number(bits);
  return (
    rest.length === 0 &&
    family !== 0 &&
    Number.isInteger(prefix) &&
    prefix >= 0 &&
    prefix <= (family === 4 ? 32 : 128) &&
    bits === String(prefix)
  );
}

// ---- merging ------------------------------------------------------------------------------------------------

/** Lists Kubernetes merges by a key under a strategic merge (the others are replaced). */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  imagePullSecrets: 'name',
  initContainers: 'name',
  topologySpreadConstraints: 'topologyKey',
};

/**
 * A Gateway's EnvoyProxy over its class's, as Envoy Gateway merges them: the Gateway's `mergeType` decides —
 * Replace (the default) takes the Gateway's alone, JSONMerge merges objects field by field (lists replaced),
 * StrategicMerge also merges Kubernetes' keyed lists (env and volumes by name, volumeMounts by mountPath, …).
 */
export function mergeEnvoyProxySpecs(base: EnvoyProxySpec, override: EnvoyProxySpec): EnvoyProxySpec {
  const type = override.mergeType ?? 'Replace';
  if (type === 'Replace') return override;
  return mergeValue(base, override, type === 'StrategicMerge', '') as EnvoyProxySpec;
}

function mergeValue(base: unknown, override: unknown, strategic: boolean, key: string): unknown {
  if (override === null) return undefined;
  if (Array.isArray(override)) {
    const mergeKey = MERGE_KEYS[key];
    if (!strategic || mergeKey === undefined || !Array.isArray(base)) return override;
    const merged = new Map<unknown, unknown>();
    for (const item of base) merged.set((item as Record<string, unknown>)?.[mergeKey], item);
    for (const item of override) {
      const id = (item as Record<string, unknown>)?.[mergeKey];
      merged.set(id, mergeValue(merged.get(id), item, strategic, ''));
    }
    return [...merged.values()];
  }
  if (typeof override !== 'object' || override === undefined) return override;
  if (base === null || typeof base !== 'object' || Array.isArray(base)) return override;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [field, value] of Object.entries(override)) {
    const merged = mergeValue(out[field], value, strategic, field);
    if (merged === undefined) delete out[field];
    else out[field] = merged;
  }
  return out;
}

// ---- the settings -------------------------------------------------------------------------------------------

/** The settings a (merged, valid) EnvoyProxy spec gives. */
export function envoyProxyIR(spec: EnvoyProxySpec, sources: readonly ResourceKey[]): EnvoyProxyIR {
  const kubernetes = spec.provider?.kubernetes;
  const deployment = kubernetes?.envoyDeployment;
  const container = deployment?.container;
  const pod = deployment?.pod;
  const service = kubernetes?.envoyService;
  const levels = { ...(spec.logging?.level ?? {}) };
  const { default: defaultLevel, ...components } = levels;
  return {
    sources,
    deployment: defined({
      replicas: deployment?.replicas,
      image: container?.image,
      imageRepository: container?.imageRepository,
      strategy: deployment?.strategy,
      resources: container?.resources,
      env: container?.env,
      volumeMounts: container?.volumeMounts,
      initContainers: deployment?.initContainers,
      pod: defined({
        labels: pod?.labels,
        annotations: pod?.annotations,
        affinity: pod?.affinity,
        tolerations: pod?.tolerations,
        volumes: pod?.volumes,
        imagePullSecrets: pod?.imagePullSecrets,
        nodeSelector: pod?.nodeSelector,
        topologySpreadConstraints: pod?.topologySpreadConstraints,
        priorityClassName: pod?.priorityClassName,
      }),
    }) as EnvoyProxyIR['deployment'],
    service: defined({
      type: service?.type,
      labels: service?.labels,
      annotations: service?.annotations,
      loadBalancerClass: service?.loadBalancerClass,
      allocateLoadBalancerNodePorts: service?.allocateLoadBalancerNodePorts,
      loadBalancerSourceRanges: service?.loadBalancerSourceRanges,
      loadBalancerIP: service?.loadBalancerIP,
      externalTrafficPolicy: service?.externalTrafficPolicy,
    }) as EnvoyProxyIR['service'],
    // Envoy Gateway's default level is warn.
    logLevel: { default: defaultLevel ?? 'warn', components },
    ...(spec.concurrency === undefined ? {} : { concurrency: spec.concurrency }),
    extraArgs: [...(spec.extraArgs ?? [])],
    accessLogs: accessLogs(spec),
  };
}

function defined<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** Envoy Gateway's access logs: JSON to stdout unless settings say otherwise; none when disabled. */
function accessLogs(spec: EnvoyProxySpec): AccessLogIR[] {
  const accessLog = spec.telemetry?.accessLog;
  if (accessLog?.disable === true) return [];
  const settings = accessLog?.settings ?? [];
  if (settings.length === 0) return [{ path: '/dev/stdout', format: { json: DEFAULT_ACCESS_LOG_JSON } }];
  return settings.flatMap((setting) => {
    const format = setting.format;
    const chosen: AccessLogIR['format'] =
      format?.type === 'Text' || (format?.type === undefined && typeof format?.text === 'string')
        ? { text: String(format?.text) }
        : {
            json:
              format?.json !== undefined && Object.keys(format.json).length > 0
                ? format.json
                : DEFAULT_ACCESS_LOG_JSON,
          };
    const kind = setting.type;
    const type: Pick<AccessLogIR, 'type'> =
      kind === 'Listener' ? { type: 'Listener' } : kind === 'Route' ? { type: 'Route' } : {};
    const sinks = setting.sinks ?? [];
    const paths = sinks.length === 0 ? ['/dev/stdout'] : sinks.map((sink) => String(sink.file?.path));
    return paths.map((path) => ({ path, format: chosen, ...type }));
  });
}

// ---- GatewayClass and Gateway parameters --------------------------------------------------------------------

export interface EnvoyProxyReference {
  readonly group?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

export function isEnvoyProxyReference(ref: EnvoyProxyReference | undefined | null): boolean {
  return ref?.group === ENVOY_GATEWAY_GROUP && ref.kind === 'EnvoyProxy';
}

export type EnvoyProxyLookup =
  | { readonly ok: true; readonly proxy: EnvoyProxy }
  | { readonly ok: false; readonly message: string };

/** The EnvoyProxy a parametersRef names, valid, or why not (the message names the field). */
export function lookUpEnvoyProxy(
  view: ResourceView,
  namespace: string | undefined,
  name: string,
  field: string,
): EnvoyProxyLookup {
  if (namespace === undefined || namespace === '') {
    return { ok: false, message: `${field}.namespace: an EnvoyProxy is namespaced; name its namespace` };
  }
  const proxy = view.get('EnvoyProxy', namespace, name);
  if (proxy === undefined)
    return { ok: false, message: `${field}: EnvoyProxy ${namespace}/${name} not found` };
  const problem = envoyProxyProblem(proxy);
  if (problem !== undefined) return { ok: false, message: `EnvoyProxy ${namespace}/${name}: ${problem}` };
  return { ok: true, proxy };
}

export type GatewayEnvoyProxy =
  | { readonly ok: true; readonly envoyProxy?: EnvoyProxyIR }
  | { readonly ok: false; readonly message: string };

/**
 * The EnvoyProxy settings of a Gateway's data plane: its class's EnvoyProxy (when the class's parametersRef names
 * one), overlaid by the Gateway's own (spec.infrastructure.parametersRef, in the Gateway's namespace); none when
 * neither names one. A Gateway whose EnvoyProxy cannot be applied is not accepted (InvalidParameters).
 */
export function resolveGatewayEnvoyProxy(
  gateway: Gateway,
  gatewayClass: GatewayClass | undefined,
  view: ResourceView,
): GatewayEnvoyProxy {
  const sources: ResourceKey[] = [];
  let spec: EnvoyProxySpec | undefined;
  const classRef = gatewayClass?.spec?.parametersRef;
  if (isEnvoyProxyReference(classRef)) {
    const found = lookUpEnvoyProxy(view, classRef?.namespace, String(classRef?.name), 'spec.parametersRef');
    if (!found.ok)
      return { ok: false, message: `GatewayClass ${gatewayClass?.metadata.name}: ${found.message}` };
    spec = found.proxy.spec ?? {};
    sources.push(keyOfProxy(found.proxy));
  }
  const ref = gateway.spec?.infrastructure?.parametersRef;
  if (ref !== undefined && ref !== null) {
    if (!isEnvoyProxyReference(ref)) {
      return {
        ok: false,
        message: `spec.infrastructure.parametersRef: ${String(ref.group)}/${String(ref.kind)} is not supported; name a ${ENVOY_GATEWAY_GROUP} EnvoyProxy`,
      };
    }
    const found = lookUpEnvoyProxy(
      view,
      gateway.metadata?.namespace,
      String(ref.name),
      'spec.infrastructure.parametersRef',
    );
    if (!found.ok) return found;
    const own = found.proxy.spec ?? {};
    spec = spec === undefined ? own : mergeEnvoyProxySpecs(spec, own);
    sources.push(keyOfProxy(found.proxy));
  }
  return spec === undefined ? { ok: true } : { ok: true, envoyProxy: envoyProxyIR(spec, sources) };
}

/**
 * The Gateway's EnvoyProxy settings when its class's data plane is `backend`: an EnvoyProxy configures Envoy, so a
 * Gateway of an agentgateway class that names one is refused.
 */
export function gatewayEnvoyProxy(
  gateway: Gateway,
  gatewayClass: GatewayClass | undefined,
  backend: string,
  view: ResourceView,
): GatewayEnvoyProxy {
  const resolved = resolveGatewayEnvoyProxy(gateway, gatewayClass, view);
  if (resolved.ok && resolved.envoyProxy !== undefined && backend !== 'envoy') {
    return {
      ok: false,
      message: `spec.infrastructure.parametersRef: an EnvoyProxy configures Envoy, and GatewayClass ${String(gatewayClass?.metadata.name)} runs the ${backend} data plane`,
    };
  }
  return resolved;
}

function keyOfProxy(proxy: EnvoyProxy): ResourceKey {
  return resourceKey(
    ENVOY_GATEWAY_GROUP,
    'EnvoyProxy',
    proxy.metadata?.namespace,
    proxy.metadata?.name ?? '',
  );
}

// ---- status -------------------------------------------------------------------------------------------------

export interface EnvoyProxyStatusOptions extends Pick<Stamp, 'now'> {
  readonly controllerName: string;
}

/**
 * status.ancestors as Envoy Gateway writes them: one entry per GatewayClass of ours whose parametersRef names this
 * EnvoyProxy and per Gateway of ours whose infrastructure.parametersRef does, Accepted or InvalidParameters.
 * Entries for other controllers' classes and Gateways are kept as they are.
 */
export function computeEnvoyProxyStatus(
  proxy: EnvoyProxy,
  view: ResourceView,
  options: EnvoyProxyStatusOptions,
): { ancestors: EnvoyProxyAncestorStatus[] } {
  const namespace = proxy.metadata?.namespace ?? '';
  const name = proxy.metadata?.name ?? '';
  const stamp: Stamp = { generation: proxy.metadata?.generation, now: options.now };
  const problem = envoyProxyProblem(proxy);
  const verdict =
    problem === undefined
      ? condition(ConditionType.Accepted, 'True', EnvoyProxyReason.Accepted, 'EnvoyProxy has been accepted.')
      : condition(ConditionType.Accepted, 'False', EnvoyProxyReason.InvalidParameters, problem);
  const ourClasses = view
    .list('GatewayClass')
    .filter((c) => c.spec?.controllerName === options.controllerName);
  const ourClassNames = new Set(ourClasses.map((c) => c.metadata.name));
  const ancestors: {
    ref: EnvoyProxyAncestorStatus['ancestorRef'];
    conditions: ReturnType<typeof condition>[];
  }[] = [];
  for (const gatewayClass of ourClasses) {
    const ref = gatewayClass.spec?.parametersRef;
    if (isEnvoyProxyReference(ref) && ref?.namespace === namespace && ref.name === name) {
      ancestors.push({
        ref: { group: GATEWAY_GROUP, kind: 'GatewayClass', name: gatewayClass.metadata.name },
        conditions: [verdict],
      });
    }
  }
  for (const gateway of view.list('Gateway', namespace)) {
    const ref = gateway.spec?.infrastructure?.parametersRef;
    if (
      !ourClassNames.has(String(gateway.spec?.gatewayClassName)) ||
      !isEnvoyProxyReference(ref) ||
      ref?.name !== name
    ) {
      continue;
    }
    ancestors.push({
      ref: { group: GATEWAY_GROUP, kind: 'Gateway', namespace, name: gateway.metadata.name },
      conditions: [verdict],
    });
  }
  const previous = Array.isArray(proxy.status?.ancestors) ? proxy.status.ancestors : [];
  const isOurs = (ref: EnvoyProxyAncestorStatus['ancestorRef'] | undefined): boolean =>
    ref?.kind === 'GatewayClass'
      ? ourClassNames.has(String(ref.name))
      : ref?.kind === 'Gateway' &&
        ourClassNames.has(
          String(view.get('Gateway', ref.namespace ?? namespace, String(ref.name))?.spec?.gatewayClassName),
        );
  const sameRef = (a: EnvoyProxyAncestorStatus['ancestorRef'], b: EnvoyProxyAncestorStatus['ancestorRef']) =>
    a?.kind === b.kind && a?.name === b.name && (a?.namespace ?? '') === (b.namespace ?? '');
  const others = previous.filter((entry) => !isOurs(entry?.ancestorRef));
  const ours = ancestors.map(({ ref, conditions }) => ({
    ancestorRef: ref,
    conditions: mergeConditions(
      previous.find((entry) => sameRef(entry?.ancestorRef, ref))?.conditions,
      conditions,
      'EnvoyProxy',
      stamp,
    ),
  }));
  return { ancestors: [...others, ...ours] };
}

/** What an EnvoyProxy's status reads: the GatewayClasses and Gateways that may name it. */
export function envoyProxyDependencies(proxy: EnvoyProxy): ResourceKey[] {
  return [
    resourceKey(GATEWAY_GROUP, 'GatewayClass', undefined, '*'),
    resourceKey(GATEWAY_GROUP, 'Gateway', proxy.metadata?.namespace, '*'),
  ];
}
