// Cluster-mode data-plane provisioning: the names of the objects provisioned for a Gateway, the objects
// themselves (ServiceAccount, ConfigMap with the data plane's bootstrap, Deployment, Service) and the Gateway
// addresses read back from the provisioned Service. Pure: the backend-specific parts (image, bootstrap, probe)
// come in as a DataPlaneTemplate from the composition root.

import type { EnvoyProxyIR } from '../ir/envoy-gateway.ts';
import type { GatewayIR, ResolvedGatewayClassParameters } from '../ir/gateway-ir.ts';
import type { Gateway, GatewaySpecAddress } from '../resources/gateway-api.ts';
import type { Service } from '../resources/kubernetes.ts';
import { CORE_GROUP, type ResourceKey, resourceKey } from '../resources/resource-key.ts';

/** Every provisioned object is named `switchyard-<gateway>` (see `provisionedName`). */
export const PROVISIONED_NAME_PREFIX = 'switchyard-';
/** Label on every provisioned object; its value is the provisioned name (also the Deployment's selector). */
export const PROVISIONED_GATEWAY_LABEL = 'switchyard.dev/gateway';
/** The Gateway API's recommended label naming the Gateway on generated objects (set when it fits a label). */
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/**
 * Annotation on every provisioned object (not the pods) naming the controller that provisioned it, so the
 * start-up sweep (model/provisioning/data-plane-sweep.ts) never deletes what another controller's replica provisioned.
 */
export const PROVISIONED_BY_ANNOTATION = 'switchyard.dev/controller-name';

const MAX_NAME = 63;

/**
 * The name of every object provisioned for a Gateway, in the Gateway's namespace: `switchyard-<gateway name>`.
 * Dots become dashes (a Service name is a DNS-1035 label); when that changed the name or it would exceed 63
 * characters, the name is cut and ends with `-<8 hex digits>` of a hash of the Gateway's name, so it stays unique.
 */
export function provisionedName(gatewayName: string): string {
  const plain = `${PROVISIONED_NAME_PREFIX}${gatewayName.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`;
  if (plain.length <= MAX_NAME && !/[^a-z0-9-]/.test(gatewayName.toLowerCase())) return plain;
  const hash = fnv1a(gatewayName);
  return `${plain.slice(0, MAX_NAME - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/** The provisioned Service of a Gateway: its status gives the Gateway's addresses. */
export function provisionedServiceKey(gateway: { namespace?: string; name: string }): ResourceKey {
  return resourceKey(CORE_GROUP, 'Service', gateway.namespace, provisionedName(gateway.name));
}

/** What a backend contributes to the Deployment: its image, how it starts from the bootstrap, its probe. */
export interface DataPlaneTemplate {
  /** Image when the GatewayClass parameters name none. */
  readonly image: string;
  /** File name of the bootstrap in the ConfigMap, mounted read-only under `configDirectory`. */
  readonly bootstrapFile: string;
  readonly configDirectory: string;
  /** The container's arguments (the bootstrap path among them). */
  readonly args: readonly string[];
  /** Arguments the Gateway's EnvoyProxy settings add (log levels, worker threads, extra arguments). */
  readonly processArgs?: (envoyProxy: EnvoyProxyIR | undefined) => readonly string[];
  /** HTTP readiness endpoint of the data plane on the pod's address. */
  readonly readiness: { readonly path: string; readonly port: number };
  /** The bootstrap (file content) of the data plane of one Gateway, reaching the xDS server at `xdsAddress`. */
  readonly bootstrap: (gateway: ResourceKey, xdsAddress: string) => string;
}

export interface ProvisioningSettings {
  readonly template: DataPlaneTemplate;
  /** host:port of the controller's xDS Service as the data plane sees it (when the parameters name none). */
  readonly xdsAddress: string;
}

/** A provisioned object as it is applied (server-side apply body). */
export interface ProvisionedObject {
  readonly apiVersion: string;
  readonly kind: 'ServiceAccount' | 'ConfigMap' | 'Deployment' | 'Service';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Record<string, string>;
    readonly annotations?: Record<string, string>;
    readonly ownerReferences: readonly Record<string, unknown>[];
  };
  readonly [field: string]: unknown;
}

export const PROVISIONED_KINDS: readonly ProvisionedObject['kind'][] = [
  'ServiceAccount',
  'ConfigMap',
  'Deployment',
  'Service',
];

export type DesiredDataPlane =
  | { readonly ok: true; readonly objects: readonly ProvisionedObject[] }
  | { readonly ok: false; readonly message: string };

/**
 * The four objects that run a Gateway's data plane. The Gateway must carry its uid (owner references);
 * `spec.infrastructure` labels and annotations are copied onto every object and the pods. With
 * `controllerName`, the objects (not the pods) also carry it in the `switchyard.dev/controller-name` annotation.
 */
export function desiredDataPlane(
  gateway: Gateway,
  ir: GatewayIR,
  settings: ProvisioningSettings,
  controllerName?: string,
): DesiredDataPlane {
  const namespace = gateway.metadata.namespace;
  const uid = gateway.metadata.uid;
  if (namespace === undefined || uid === undefined) {
    return { ok: false, message: 'the Gateway has no namespace or uid yet' };
  }
  const parameters: ResolvedGatewayClassParameters = ir.parameters;
  const proxy = ir.envoyProxy;
  const name = provisionedName(gateway.metadata.name);
  const infrastructure = gateway.spec?.infrastructure;
  const labels: Record<string, string> = {
    ...(infrastructure?.labels ?? {}),
    [MANAGED_BY_LABEL]: 'switchyard',
    [PROVISIONED_GATEWAY_LABEL]: name,
  };
  if (isLabelValue(gateway.metadata.name)) labels[GATEWAY_NAME_LABEL] = gateway.metadata.name;
  const annotations = infrastructure?.annotations ?? {};
  const objectAnnotations: Record<string, string> =
    controllerName === undefined
      ? annotations
      : { ...annotations, [PROVISIONED_BY_ANNOTATION]: controllerName };
  const metadata = {
    name,
    namespace,
    labels,
    ...(Object.keys(objectAnnotations).length === 0 ? {} : { annotations: objectAnnotations }),
    ownerReferences: [
      {
        apiVersion: String(gateway.apiVersion ?? 'gateway.networking.k8s.io/v1'),
        kind: 'Gateway',
        name: gateway.metadata.name,
        uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
  if (ir.ports.length === 0) {
    return { ok: false, message: 'no listener is ready: the data plane would expose no port' };
  }
  const { template } = settings;
  const xdsAddress = parameters.xds.address ?? settings.xdsAddress;
  const ports = ir.ports.map((port) => ({
    name: `${port.transport.toLowerCase()}-${port.port}`,
    port: port.port,
    protocol: port.transport,
  }));
  const selector = { [PROVISIONED_GATEWAY_LABEL]: name };
  // EnvoyProxy pod labels and annotations come first: ours (the selector among them) win.
  const podLabels = { ...(proxy?.deployment.pod.labels ?? {}), ...labels };
  const podAnnotations = { ...(proxy?.deployment.pod.annotations ?? {}), ...annotations };
  const deploymentSettings = proxy?.deployment;
  const pod = deploymentSettings?.pod;
  const serviceAccount: ProvisionedObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata };
  const configMap: ProvisionedObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata,
    data: { [template.bootstrapFile]: template.bootstrap(keyOfGateway(gateway), xdsAddress) },
  };
  const deployment: ProvisionedObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: deploymentSettings?.replicas ?? parameters.dataPlane.replicas,
      selector: { matchLabels: selector },
      ...(deploymentSettings?.strategy === undefined ? {} : { strategy: deploymentSettings.strategy }),
      template: {
        metadata: {
          labels: podLabels,
          ...(Object.keys(podAnnotations).length === 0 ? {} : { annotations: podAnnotations }),
        },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            seccompProfile: { type: 'RuntimeDefault' },
            // Listeners on ports below 1024 (80, 443) without root or NET_BIND_SERVICE.
            sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
          },
          ...podScheduling(proxy),
          ...(deploymentSettings?.initContainers === undefined
            ? {}
            : { initContainers: [...deploymentSettings.initContainers] }),
          containers: [
            {
              name: 'data-plane',
              image: imageOf(proxy, parameters.dataPlane.image ?? template.image),
              args: [...template.args, ...(template.processArgs?.(proxy) ?? [])],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                ...(deploymentSettings?.env ?? []),
              ],
              ports: [
                ...ports.map((port) => ({
                  name: port.name.slice(0, 15),
                  containerPort: port.port,
                  protocol: port.protocol,
                })),
                { name: 'readiness', containerPort: template.readiness.port, protocol: 'TCP' },
              ],
              readinessProbe: {
                httpGet: { path: template.readiness.path, port: template.readiness.port },
                periodSeconds: 5,
                timeoutSeconds: 2,
                failureThreshold: 3,
              },
              ...(deploymentSettings?.resources === undefined
                ? {}
                : { resources: deploymentSettings.resources }),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'config', mountPath: template.configDirectory, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
                ...(deploymentSettings?.volumeMounts ?? []),
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name } },
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            ...(pod?.volumes ?? []),
          ],
        },
      },
    },
  };
  const serviceSettings = proxy?.service;
  const serviceLabels = { ...(serviceSettings?.labels ?? {}), ...labels };
  const serviceAnnotations = { ...(serviceSettings?.annotations ?? {}), ...objectAnnotations };
  const service: ProvisionedObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      ...metadata,
      labels: serviceLabels,
      ...(Object.keys(serviceAnnotations).length === 0 ? {} : { annotations: serviceAnnotations }),
    },
    spec: {
      type: serviceSettings?.type ?? parameters.dataPlane.serviceType,
      selector,
      ports: ports.map((port) => ({ ...port, targetPort: port.port })),
      ...serviceOptions(proxy),
    },
  };
  return { ok: true, objects: [serviceAccount, configMap, deployment, service] };
}

/** The pod's scheduling and pull settings from the EnvoyProxy, copied as given (the API server checks them). */
function podScheduling(proxy: EnvoyProxyIR | undefined): Record<string, unknown> {
  const pod = proxy?.deployment.pod;
  if (pod === undefined) return {};
  return Object.fromEntries(
    (
      [
        ['affinity', pod.affinity],
        ['tolerations', pod.tolerations],
        ['nodeSelector', pod.nodeSelector],
        ['topologySpreadConstraints', pod.topologySpreadConstraints],
        ['priorityClassName', pod.priorityClassName],
        ['imagePullSecrets', pod.imagePullSecrets],
      ] as const
    ).filter(([, value]) => value !== undefined),
  );
}

function serviceOptions(proxy: EnvoyProxyIR | undefined): Record<string, unknown> {
  const service = proxy?.service;
  if (service === undefined) return {};
  const { type: _type, labels: _labels, annotations: _annotations, ...options } = service;
  return options;
}

/** The EnvoyProxy's image, or its repository with the tag of the image otherwise used. */
function imageOf(proxy: EnvoyProxyIR | undefined, fallback: string): string {
  const deployment = proxy?.deployment;
  if (deployment?.image !== undefined) return deployment.image;
  if (deployment?.imageRepository === undefined) return fallback;
  const tag = /:([^/:]+)$/.exec(fallback)?.[1];
  return tag === undefined ? deployment.imageRepository : `${deployment.imageRepository}:${tag}`;
}

interface ServiceStatus {
  readonly loadBalancer?: { readonly ingress?: readonly { ip?: string; hostname?: string }[] };
}

/**
 * The Gateway's addresses from its provisioned Service: the load balancer's ingress IPs and hostnames for a
 * LoadBalancer Service (none until a load-balancer controller assigns them), else the cluster IP(s).
 */
export function serviceAddresses(service: Service | undefined): GatewaySpecAddress[] {
  if (service === undefined) return [];
  const spec = service.spec ?? {};
  if ((spec.type ?? 'ClusterIP') === 'LoadBalancer') {
    const ingress = (service as { status?: ServiceStatus }).status?.loadBalancer?.ingress ?? [];
    return ingress.flatMap((entry): GatewaySpecAddress[] =>
      typeof entry.ip === 'string' && entry.ip !== ''
        ? [{ type: 'IPAddress', value: entry.ip }]
        : typeof entry.hostname === 'string' && entry.hostname !== ''
          ? [{ type: 'Hostname', value: entry.hostname }]
          : [],
    );
  }
  const clusterIPs = (spec as { clusterIPs?: string[] }).clusterIPs ?? [spec.clusterIP];
  return clusterIPs
    .filter((ip): ip is string => typeof ip === 'string' && ip !== '' && ip !== 'None')
    .map((value) => ({ type: 'IPAddress', value }));
}

function keyOfGateway(gateway: Gateway): ResourceKey {
  return resourceKey(
    'gateway.networking.k8s.io',
    'Gateway',
    gateway.metadata.namespace,
    gateway.metadata.name,
  );
}

function isLabelValue(value: string): boolean {
  return value.length <= MAX_NAME && /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(value);
}

/** FNV-1a (32 bit) as 8 hex digits: short, stable, dependency-free. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
