// Pure checks of the controller's deploy objects, shared by the unit test of the plain manifests (deploy.test.ts)
// and the integration test of the rendered Helm chart: least-privilege RBAC, and a Deployment that runs the
// controller the way docs/operations.md says.
import { GROUP_OF_KIND, type KindName } from '../../model/resources/kinds.ts';

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** The resource (plural) of every kind the controller lists and watches; keep in step with GROUP_OF_KIND. */
export const RESOURCE_OF_KIND: { readonly [K in KindName]: string } = {
  GatewayClass: 'gatewayclasses',
  Gateway: 'gateways',
  ListenerSet: 'listenersets',
  HTTPRoute: 'httproutes',
  GRPCRoute: 'grpcroutes',
  TLSRoute: 'tlsroutes',
  TCPRoute: 'tcproutes',
  UDPRoute: 'udproutes',
  ReferenceGrant: 'referencegrants',
  BackendTLSPolicy: 'backendtlspolicies',
  InferencePool: 'inferencepools',
  GatewayClassParameters: 'gatewayclassparameters',
  Secret: 'secrets',
  ConfigMap: 'configmaps',
  Service: 'services',
  EndpointSlice: 'endpointslices',
  Namespace: 'namespaces',
  Pod: 'pods',
  AIGatewayRoute: 'aigatewayroutes',
  AIServiceBackend: 'aiservicebackends',
  BackendSecurityPolicy: 'backendsecuritypolicies',
  SecurityPolicy: 'securitypolicies',
  ClientTrafficPolicy: 'clienttrafficpolicies',
  EnvoyExtensionPolicy: 'envoyextensionpolicies',
  MCPRoute: 'mcproutes',
  GatewayConfig: 'gatewayconfigs',
  QuotaPolicy: 'quotapolicies',
  Backend: 'backends',
  EnvoyProxy: 'envoyproxies',
  HTTPRouteFilter: 'httproutefilters',
  BackendTrafficPolicy: 'backendtrafficpolicies',
};

/** `group/resource`, with the core group written as an empty group: `/secrets`. */
export type GroupResource = string;

/** What the controller reads: every kind its sources watch. */
export const WATCHED: readonly GroupResource[] = (Object.keys(GROUP_OF_KIND) as KindName[]).map(
  (kind) => `${GROUP_OF_KIND[kind]}/${RESOURCE_OF_KIND[kind]}`,
);

/** The Gateway API kinds whose /status the controller writes (server-side apply). */
export const STATUS_WRITTEN: readonly GroupResource[] = [
  ...[
    'gatewayclasses',
    'gateways',
    'listenersets',
    'httproutes',
    'grpcroutes',
    'tlsroutes',
    'tcproutes',
    'udproutes',
    'backendtlspolicies',
  ].map((resource) => `gateway.networking.k8s.io/${resource}/status`),
  // Envoy AI Gateway's kinds (model/ai-gateway/).
  'inference.networking.k8s.io/inferencepools/status',
  ...[
    'aigatewayroutes',
    'aiservicebackends',
    'backendsecuritypolicies',
    'mcproutes',
    'gatewayconfigs',
    'quotapolicies',
  ].map((resource) => `aigateway.envoyproxy.io/${resource}/status`),
  // Envoy Gateway's policy kinds (model/policies/).
  ...['securitypolicies', 'clienttrafficpolicies', 'envoyextensionpolicies', 'backendtrafficpolicies'].map(
    (resource) => `gateway.envoyproxy.io/${resource}/status`,
  ),
  // Envoy Gateway's kinds (model/policies/backend.ts, envoy-proxy.ts).
  ...['backends', 'envoyproxies'].map((resource) => `gateway.envoyproxy.io/${resource}/status`),
];

/**
 * Objects whose metadata the controller writes: the finalizer that keeps a GatewayClass while Gateways use it
 * (RBAC cannot narrow a patch to metadata.finalizers, so this is patch on the GatewayClass itself).
 */
export const FINALIZED: readonly GroupResource[] = ['gateway.networking.k8s.io/gatewayclasses'];

/** What the controller provisions for each Gateway's data plane, in any namespace. */
export const PROVISIONED: readonly GroupResource[] = [
  '/serviceaccounts',
  '/configmaps',
  '/services',
  'apps/deployments',
];

const READ_VERBS = ['get', 'list', 'watch'];

/** Grants per group/resource: the union of the verbs of every rule naming it. */
export function grants(rules: readonly PolicyRule[]): Map<GroupResource, Set<string>> {
  const result = new Map<GroupResource, Set<string>>();
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        const key = `${group}/${resource}`;
        const verbs = result.get(key) ?? new Set<string>();
        for (const verb of rule.verbs) verbs.add(verb);
        result.set(key, verbs);
      }
    }
  }
  return result;
}

/** Problems with the controller's ClusterRole; empty when it is least privilege as documented. */
export function clusterRoleProblems(rules: readonly PolicyRule[]): string[] {
  const problems: string[] = [];
  for (const [index, rule] of rules.entries()) {
    const fields = [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs];
    if (fields.includes('*')) problems.push(`rule ${index} uses a wildcard`);
    if (rule.nonResourceURLs !== undefined) problems.push(`rule ${index} grants non-resource URLs`);
  }
  const granted = grants(rules);
  const writable = new Set([...STATUS_WRITTEN, ...PROVISIONED, ...FINALIZED]);
  const readable = new Set([...WATCHED, ...PROVISIONED]);
  for (const [resource, verbs] of granted) {
    const reads = [...verbs].filter((verb) => READ_VERBS.includes(verb));
    const writes = [...verbs].filter((verb) => !READ_VERBS.includes(verb));
    if (writes.length > 0 && !writable.has(resource)) {
      problems.push(`${resource}: write verbs ${writes.join(', ')} on a kind the controller only reads`);
    }
    if (reads.length > 0 && !readable.has(resource)) {
      problems.push(`${resource}: read access to a kind the controller does not watch`);
    }
    if (resource.endsWith('/status') && reads.length > 0) problems.push(`${resource}: status is never read`);
  }
  for (const resource of readable) {
    const verbs = granted.get(resource) ?? new Set<string>();
    const missing = READ_VERBS.filter((verb) => !verbs.has(verb));
    if (missing.length > 0) problems.push(`${resource}: missing ${missing.join(', ')}`);
  }
  for (const resource of STATUS_WRITTEN) {
    if (!granted.get(resource)?.has('patch')) problems.push(`${resource}: missing patch (server-side apply)`);
  }
  for (const resource of FINALIZED) {
    if (!granted.get(resource)?.has('patch')) problems.push(`${resource}: missing patch (finalizer)`);
  }
  for (const resource of PROVISIONED) {
    const verbs = granted.get(resource) ?? new Set<string>();
    const missing = ['create', 'patch', 'delete'].filter((verb) => !verbs.has(verb));
    if (missing.length > 0) problems.push(`${resource}: missing ${missing.join(', ')} for provisioning`);
  }
  const secretVerbs = [...(granted.get('/secrets') ?? [])].sort();
  if (secretVerbs.join() !== 'get,list,watch') {
    problems.push(`/secrets: expected exactly get, list, watch, got ${secretVerbs.join(', ')}`);
  }
  return problems;
}

/** Problems with the leader-election Role: Leases only, no list, no delete. */
export function leaderElectionRoleProblems(rules: readonly PolicyRule[]): string[] {
  const granted = grants(rules);
  const problems: string[] = [];
  for (const [resource, verbs] of granted) {
    if (resource !== 'coordination.k8s.io/leases') problems.push(`${resource}: not a Lease`);
    for (const verb of verbs) {
      if (!['get', 'watch', 'create', 'update', 'patch'].includes(verb)) problems.push(`leases: ${verb}`);
    }
  }
  if (!granted.has('coordination.k8s.io/leases')) problems.push('no Lease access');
  return problems;
}

/**
 * Problems with the Role for the ext_proc configuration Secret: secrets only, named by resourceNames (exactly
 * `secretName`), create and patch only (server-side apply; docs/extproc.md).
 */
export function extProcConfigRoleProblems(rules: readonly PolicyRule[], secretName: string): string[] {
  const problems: string[] = [];
  if (rules.length === 0) problems.push('no rules');
  for (const [index, rule] of rules.entries()) {
    if ((rule.apiGroups ?? []).join() !== '' || (rule.resources ?? []).join() !== 'secrets')
      problems.push(`rule ${index}: not core secrets`);
    if ((rule.resourceNames ?? []).join() !== secretName)
      problems.push(
        `rule ${index}: resourceNames ${JSON.stringify(rule.resourceNames)}, not [${secretName}]`,
      );
    const verbs = [...rule.verbs].sort().join();
    if (verbs !== 'create,patch') problems.push(`rule ${index}: verbs ${verbs}, not create, patch`);
  }
  return problems;
}

interface Container {
  args?: string[];
  image?: string;
  ports?: { name?: string; containerPort: number }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type?: string };
    privileged?: boolean;
  };
}

interface Probe {
  httpGet?: { path?: string; port?: string | number };
  tcpSocket?: { port?: string | number };
}

export interface PodSpec {
  containers: Container[];
  automountServiceAccountToken?: boolean;
  volumes?: { name: string; secret?: { secretName?: string; optional?: boolean } }[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type?: string } };
  serviceAccountName?: string;
  hostNetwork?: boolean;
}

/** The `--flag=value` arguments of the controller container, by flag. */
export function controllerFlags(container: Container): Map<string, string> {
  const flags = new Map<string, string>();
  for (const arg of (container.args ?? []).slice(1)) {
    const match = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (match) flags.set(match[1]!, match[2]!);
  }
  return flags;
}

/** Problems with the controller's pod: hardening, probes, graceful shutdown, inspector off. */
export function controllerPodProblems(pod: PodSpec): string[] {
  const container = pod.containers.find((c) => c.args?.[0] === 'controller');
  if (container === undefined) return ['no container runs `controller`'];
  const flags = controllerFlags(container);
  const problems = hardeningProblems(pod, container);
  if (flags.get('inspector') !== 'off') problems.push(`the inspector is ${flags.get('inspector')}, not off`);

  const httpAddress = flags.get('http-address') ?? '';
  const httpPort = Number(httpAddress.split(':').at(-1));
  if (!httpAddress.startsWith('0.0.0.0:')) problems.push(`--http-address ${httpAddress} is not reachable`);
  if (!(flags.get('xds-address') ?? '').startsWith('0.0.0.0:')) problems.push('--xds-address not reachable');
  const portOf = (port: string | number | undefined) =>
    typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort;
  for (const [name, probe, path] of [
    ['liveness', container.livenessProbe, '/livez'],
    ['readiness', container.readinessProbe, '/readyz'],
  ] as const) {
    if (probe?.httpGet?.path !== path) problems.push(`${name} probe is not on ${path}`);
    else if (portOf(probe.httpGet.port) !== httpPort) problems.push(`${name} probe is not on --http-address`);
  }
  const shutdown = Number(flags.get('shutdown-timeout'));
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  if (!(shutdown > 0 && shutdown < grace)) {
    problems.push(
      `--shutdown-timeout ${flags.get('shutdown-timeout')} is not below the grace period ${grace}`,
    );
  }
  return problems;
}

/**
 * Problems with the `switchyard extproc` pod: hardened like the controller, no API token, listening on the probed
 * port, and its --config inside the mounted configuration Secret `secretName`.
 */
export function extProcPodProblems(pod: PodSpec, secretName: string): string[] {
  return dataPlanePodProblems(pod, 'extproc', secretName);
}

/** The same for the `switchyard mcp` pod (its configuration file is mcp.yaml). */
export function mcpPodProblems(pod: PodSpec, secretName: string): string[] {
  return dataPlanePodProblems(pod, 'mcp', secretName);
}

function dataPlanePodProblems(pod: PodSpec, command: 'extproc' | 'mcp', secretName: string): string[] {
  const container = pod.containers.find((c) => c.args?.[0] === command);
  if (container === undefined) return [`no container runs \`${command}\``];
  const problems = hardeningProblems(pod, container);
  if (pod.automountServiceAccountToken !== false) problems.push('mounts a Kubernetes API token');
  const flags = controllerFlags(container);
  const listen = flags.get('listen') ?? '';
  const port = container.ports?.find((p) => p.containerPort === Number(listen.split(':').at(-1)));
  if (!listen.startsWith('0.0.0.0:') || port === undefined)
    problems.push(`--listen ${listen} is not a reachable container port`);
  // Probes go to the HTTP server (--http-address): /livez, and /readyz, which waits for the config and workers.
  const http = flags.get('http-address') ?? '';
  const httpPort = container.ports?.find((p) => p.containerPort === Number(http.split(':').at(-1)));
  if (!http.startsWith('0.0.0.0:') || httpPort === undefined)
    problems.push(`--http-address ${http} is not a reachable container port`);
  for (const [name, probe, path] of [
    ['startup', container.startupProbe, '/readyz'],
    ['liveness', container.livenessProbe, '/livez'],
    ['readiness', container.readinessProbe, '/readyz'],
  ] as const) {
    const probed = probe?.httpGet?.port;
    if (probed === undefined || (probed !== httpPort?.name && probed !== httpPort?.containerPort))
      problems.push(`${name} probe is not on the --http-address port`);
    else if (probe?.httpGet?.path !== path)
      problems.push(`${name} probe asks ${probe?.httpGet?.path}, not ${path}`);
  }
  const volume = pod.volumes?.find((v) => v.secret?.secretName === secretName);
  const mount = container.volumeMounts?.find((m) => m.name === volume?.name);
  if (volume === undefined || mount === undefined) problems.push(`the Secret ${secretName} is not mounted`);
  else {
    if (mount.readOnly !== true) problems.push('the configuration Secret is mounted writable');
    if (volume.secret?.optional === true) problems.push('the configuration Secret is optional');
    if (flags.get('config') !== `${mount.mountPath}/${command}.yaml`)
      problems.push(`--config ${flags.get('config')} is not ${mount.mountPath}/${command}.yaml`);
  }
  return problems;
}

/** Container and pod hardening shared by every Switchyard pod. */
function hardeningProblems(pod: PodSpec, container: Container): string[] {
  const problems: string[] = [];
  const security = container.securityContext ?? {};
  if (security.allowPrivilegeEscalation !== false) problems.push('privilege escalation is allowed');
  if (security.readOnlyRootFilesystem !== true) problems.push('the root filesystem is writable');
  if (security.privileged === true) problems.push('the container is privileged');
  if ((security.capabilities?.add ?? []).length > 0) problems.push('capabilities are added');
  if (!(security.capabilities?.drop ?? []).includes('ALL')) problems.push('capabilities are not all dropped');
  if ((security.runAsNonRoot ?? pod.securityContext?.runAsNonRoot) !== true) problems.push('may run as root');
  if (pod.securityContext?.runAsUser === 0) problems.push('runs as uid 0');
  const seccomp = security.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
  if (seccomp !== 'RuntimeDefault') problems.push(`seccomp profile is ${seccomp}`);
  if (pod.hostNetwork === true) problems.push('uses the host network');
  if (container.resources?.requests === undefined) problems.push('no resource requests');
  if (container.resources?.limits?.memory === undefined) problems.push('no memory limit');
  return problems;
}
