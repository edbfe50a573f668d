// The Kubernetes-mode runs recorded into test/replays/ (kube-*.jsonl): objects applied to and deleted from a
// real kube-apiserver step by step while the control plane watches it. `kube-rerecord.ts` runs them;
// `cli/replays.test.ts` replays what they recorded without any API server or Envoy.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ReplayResult } from '../../cli/replay.ts';
import type { ResourceKey } from '../../model/resource-key.ts';
import { CONTROLLER_NAME } from './kube-record.ts';

export interface KubeStep {
  readonly note: string;
  /** Objects applied (server-side apply), then objects deleted. */
  readonly apply?: readonly KubernetesObject[];
  readonly delete?: readonly KubernetesObject[];
  /**
   * A controller restart: the running controller stops (its log ends), the step's changes are made while no
   * controller runs, and a new controller starts with a log of its own.
   */
  readonly restart?: boolean;
  /** Starts a real Envoy for the scenario's Gateway (node cluster `namespace/name`) after the changes. */
  readonly startEnvoy?: boolean;
  /** The step is done once this holds of what the live plane shows (besides being at rest). */
  readonly until?: (result: ReplayResult) => boolean;
}

export interface KubeScenario {
  readonly name: string;
  readonly summary: string;
  /** The Gateway the scenario's Envoy serves. */
  readonly gateway: ResourceKey;
  /** Applied before the controller starts. */
  readonly initial: readonly KubernetesObject[];
  readonly steps: readonly KubeStep[];
  /** Needs a real Envoy. */
  readonly envoy?: boolean;
}

export function namespace(name: string): KubernetesObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export function gatewayClass(name: string): KubernetesObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GatewayClass',
    metadata: { name },
    spec: { controllerName: CONTROLLER_NAME },
  } as KubernetesObject;
}

export function gateway(ns: string, className: string, port: number): KubernetesObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'edge', namespace: ns },
    spec: {
      gatewayClassName: className,
      listeners: [{ name: 'http', protocol: 'HTTP', port, allowedRoutes: { namespaces: { from: 'All' } } }],
    },
  } as KubernetesObject;
}

export function service(ns: string, name: string): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns },
    spec: { ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
  } as KubernetesObject;
}

interface RouteOptions {
  readonly hostnames?: readonly string[];
  readonly path?: { readonly type: string; readonly value: string };
  readonly backend?: { readonly name: string; readonly namespace?: string };
}

export function httpRoute(ns: string, name: string, options: RouteOptions = {}): KubernetesObject {
  const backend = options.backend ?? { name: 'app' };
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: ns },
    spec: {
      parentRefs: [{ name: 'edge' }],
      hostnames: options.hostnames ?? ['app.example.com'],
      rules: [
        {
          matches: [{ path: options.path ?? { type: 'PathPrefix', value: '/' } }],
          backendRefs: [{ ...backend, port: 8080 }],
        },
      ],
    },
  } as KubernetesObject;
}

function referenceGrant(ns: string, from: string): KubernetesObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    kind: 'ReferenceGrant',
    metadata: { name: 'routes-to-services', namespace: ns },
    spec: {
      from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: from }],
      to: [{ group: '', kind: 'Service' }],
    },
  } as KubernetesObject;
}

function programmed(result: ReplayResult, status: 'True' | 'False'): boolean {
  const gateway = result.objects.find((object) => object.kind === 'Gateway');
  const conditions = (gateway?.status as { conditions?: { type: string; status: string }[] } | undefined)
    ?.conditions;
  return conditions?.some((c) => c.type === 'Programmed' && c.status === status) ?? false;
}

/** The scenarios; `listenerPort` is a free loopback port the Gateway's listener (and its Envoy) uses. */
export function kubeScenarios(listenerPort: number): KubeScenario[] {
  const lifecycle = 'replay-httproute';
  const grantApps = 'replay-grant-apps';
  const grantBackends = 'replay-grant-backends';
  const restart = 'replay-restart';
  const nack = 'replay-nack';
  return [
    {
      name: 'kube-httproute-lifecycle',
      summary: 'an HTTPRoute created, updated and deleted through the API server',
      gateway: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: lifecycle, name: 'edge' },
      initial: [
        namespace(lifecycle),
        gatewayClass(lifecycle),
        gateway(lifecycle, lifecycle, listenerPort),
        service(lifecycle, 'app'),
        service(lifecycle, 'app-v2'),
      ],
      steps: [
        { note: 'HTTPRoute created', apply: [httpRoute(lifecycle, 'app')] },
        {
          note: 'HTTPRoute updated: another hostname, path and backend',
          apply: [
            httpRoute(lifecycle, 'app', {
              hostnames: ['app.example.com', 'www.example.com'],
              path: { type: 'PathPrefix', value: '/v2' },
              backend: { name: 'app-v2' },
            }),
          ],
        },
        { note: 'HTTPRoute deleted', delete: [httpRoute(lifecycle, 'app')] },
      ],
    },
    {
      name: 'kube-reference-grant-revoked',
      summary: 'a cross-namespace backendRef allowed by a ReferenceGrant, then the grant revoked',
      gateway: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: grantApps, name: 'edge' },
      initial: [
        namespace(grantApps),
        namespace(grantBackends),
        gatewayClass(grantApps),
        gateway(grantApps, grantApps, listenerPort),
        service(grantBackends, 'shared'),
        httpRoute(grantApps, 'app', { backend: { name: 'shared', namespace: grantBackends } }),
      ],
      steps: [
        { note: 'ReferenceGrant added', apply: [referenceGrant(grantBackends, grantApps)] },
        { note: 'ReferenceGrant revoked', delete: [referenceGrant(grantBackends, grantApps)] },
      ],
    },
    {
      name: 'kube-controller-restart',
      summary:
        'the controller restarted while routes changed; the new one starts from the statuses in the cluster',
      gateway: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: restart, name: 'edge' },
      initial: [
        namespace(restart),
        gatewayClass(restart),
        gateway(restart, restart, listenerPort),
        service(restart, 'app'),
        httpRoute(restart, 'app'),
      ],
      steps: [
        {
          note: 'a second HTTPRoute created',
          apply: [httpRoute(restart, 'other', { hostnames: ['other.example.com'] })],
        },
        {
          note: 'controller stopped; meanwhile the first route moves to a missing Service and the second is deleted',
          restart: true,
          apply: [httpRoute(restart, 'app', { backend: { name: 'missing' } })],
          delete: [httpRoute(restart, 'other')],
        },
        { note: 'the first route back on its Service', apply: [httpRoute(restart, 'app')] },
      ],
    },
    {
      name: 'kube-envoy-nack',
      summary:
        'a real Envoy rejects a route regex RE2 cannot compile (NACK), then the fixed route is accepted',
      gateway: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: nack, name: 'edge' },
      envoy: true,
      initial: [
        namespace(nack),
        gatewayClass(nack),
        gateway(nack, nack, listenerPort),
        service(nack, 'app'),
        httpRoute(nack, 'app'),
      ],
      steps: [
        {
          note: 'Envoy connected and accepted the configuration',
          startEnvoy: true,
          until: (result) => programmed(result, 'True'),
        },
        {
          // A lookahead: valid for JavaScript (the route is Accepted), refused by Envoy's RE2.
          note: 'route path regex with a lookahead: Envoy NACKs',
          apply: [httpRoute(nack, 'app', { path: { type: 'RegularExpression', value: '/(?=v1)v1/.*' } })],
          until: (result) => programmed(result, 'False'),
        },
        {
          note: 'route fixed: Envoy ACKs',
          apply: [httpRoute(nack, 'app', { path: { type: 'RegularExpression', value: '/v1/.*' } })],
          until: (result) => programmed(result, 'True'),
        },
      ],
    },
  ];
}
