// Envoy Gateway's EnvoyProxy as GatewayClass and Gateway parameters: which of its fields Switchyard applies and how,
// the merge of a Gateway's EnvoyProxy over its class's (mergeType), the settings that result (EnvoyProxyIR: the
// provisioned Deployment and Service, Envoy's log levels, worker threads, extra arguments and access logs), and
// the EnvoyProxy's status.ancestors as Envoy Gateway writes them. Which fields are applied or refused, and the
// values each may take, is envoy-proxy-spec.ts.
//
// With our own GatewayClassParameters: a GatewayClass names one or the other in spec.parametersRef; a Gateway
// may name an EnvoyProxy in spec.infrastructure.parametersRef whatever its class names. Where both set the same
// thing (replicas, Service type, image), the EnvoyProxy wins: it is the more specific setting when it comes from
// the Gateway, and when it comes from the class the GatewayClassParameters are not in play (docs/policies.md).

import type { AccessLogIR, EnvoyProxyIR } from '../ir/envoy-gateway.ts';
import {
  ENVOY_GATEWAY_GROUP,
  type EnvoyProxy,
  type EnvoyProxyAncestorStatus,
  type EnvoyProxySpec,
} from '../resources/envoy-gateway.ts';
import type { Gateway, GatewayClass } from '../resources/gateway-api.ts';
import { GATEWAY_GROUP, type ResourceKey, resourceKey } from '../resources/resource-key.ts';
import { ConditionType, condition, mergeConditions, type Stamp } from '../shared/conditions.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { envoyProxyProblem } from './envoy-proxy-spec.ts';

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
