// Envoy Gateway's EnvoyProxy, its spec's rules: which fields Switchyard applies and which it refuses by name
// (`envoyProxyProblem`), with the values each applied field may take. The merge, the settings that result and the
// EnvoyProxy's status are in envoy-proxy.ts.

import { isIP } from 'node:net';
import {
  ENVOY_PROXY_SPEC,
  type EnvoyProxy,
  type EnvoyProxySpec,
  type ProxyAccessLogSetting,
} from '../resources/envoy-gateway.ts';
import { schemaProblems } from '../resources/field-schema.ts';

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
