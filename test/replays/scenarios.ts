// The runs recorded into test/replays/: manifests written to a directory, then changed step by step while the
// standalone pipeline watches it. `rerecord.ts` runs them; `replay/recorded-logs.test.ts` replays what they recorded.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pem = (name: string) => Buffer.from(readFileSync(join(here, 'tls', name), 'utf8')).toString('base64');

export interface ScenarioStep {
  readonly note: string;
  /** Files to write (name → YAML) or delete (name → null). */
  readonly files?: Readonly<Record<string, string | null>>;
  /** Successive contents of one file, each announced at once without waiting for the pipeline (a flood). */
  readonly flood?: { readonly file: string; readonly contents: readonly string[] };
}

export interface Scenario {
  readonly name: string;
  readonly summary: string;
  readonly initial: Readonly<Record<string, string>>;
  readonly steps: readonly ScenarioStep[];
}

const gatewayClass = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: switchyard
spec:
  controllerName: switchyard.dev/gateway-controller
`;

function gateway(extraListeners = ''): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
  namespace: apps
spec:
  gatewayClassName: switchyard
  listeners:
    - name: http
      protocol: HTTP
      port: 80
      allowedRoutes:
        namespaces:
          from: All
${extraListeners}`;
}

const tlsListeners = `    - name: https
      protocol: HTTPS
      port: 443
      hostname: "*.example.com"
      tls:
        mode: Terminate
        certificateRefs:
          - name: edge-tls
    - name: passthrough
      protocol: TLS
      port: 8443
      tls:
        mode: Passthrough
    - name: tcp
      protocol: TCP
      port: 9000
    - name: udp
      protocol: UDP
      port: 9053
`;

function service(name: string, namespace = 'apps', port = 8080): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  ports:
    - name: main
      port: ${port}
      protocol: TCP
`;
}

function endpoints(service: string, addresses: readonly string[], namespace = 'apps', port = 8080): string {
  return `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${service}-slice
  namespace: ${namespace}
  labels:
    kubernetes.io/service-name: ${service}
addressType: IPv4
ports:
  - name: main
    port: ${port}
    protocol: TCP
endpoints:
${addresses.map((address) => `  - addresses: ["${address}"]\n    conditions:\n      ready: true\n`).join('')}`;
}

function tlsSecret(cert: string, key: string): string {
  return `apiVersion: v1
kind: Secret
metadata:
  name: edge-tls
  namespace: apps
type: kubernetes.io/tls
data:
  tls.crt: ${pem(cert)}
  tls.key: ${pem(key)}
`;
}

function httpRoute(path: string, backend = 'web', backendNamespace?: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
  namespace: apps
spec:
  parentRefs:
    - name: edge
      sectionName: http
  hostnames: ["www.example.com"]
  rules:
    - matches:
        - path:
            type: PathPrefix
            value: ${path}
      backendRefs:
        - name: ${backend}
${backendNamespace === undefined ? '' : `          namespace: ${backendNamespace}\n`}          port: 8080
`;
}

function grpcRoute(method: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata:
  name: rpc
  namespace: apps
spec:
  parentRefs:
    - name: edge
      sectionName: http
  rules:
    - matches:
        - method:
            service: echo.Echo
            method: ${method}
      backendRefs:
        - name: web
          port: 8080
`;
}

function l4Route(kind: 'TLSRoute' | 'TCPRoute' | 'UDPRoute', section: string, backend: string): string {
  const version = kind === 'TLSRoute' ? 'v1' : 'v1alpha2';
  return `apiVersion: gateway.networking.k8s.io/${version}
kind: ${kind}
metadata:
  name: ${kind.toLowerCase()}
  namespace: apps
spec:
  parentRefs:
    - name: edge
      sectionName: ${section}
${kind === 'TLSRoute' ? '  hostnames: ["tls.example.com"]\n' : ''}  rules:
    - backendRefs:
        - name: ${backend}
          port: 8080
`;
}

const base = {
  'class.yaml': gatewayClass,
  'gateway.yaml': gateway(tlsListeners),
  'secret.yaml': tlsSecret('first.crt', 'first.key'),
  'web.yaml': `${service('web')}---\n${endpoints('web', ['10.0.0.1'])}`,
  'other.yaml': `${service('other')}---\n${endpoints('other', ['10.0.1.1'])}`,
};

function routeLifecycle(name: string, kind: string, create: string, update: string): Scenario {
  return {
    name,
    summary: `${kind}: created, updated (new backend or match), then deleted`,
    initial: base,
    steps: [
      { note: `create the ${kind}`, files: { 'route.yaml': create } },
      { note: `update the ${kind}`, files: { 'route.yaml': update } },
      { note: `delete the ${kind}`, files: { 'route.yaml': null } },
    ],
  };
}

export const scenarios: readonly Scenario[] = [
  routeLifecycle('httproute-lifecycle', 'HTTPRoute', httpRoute('/v1'), httpRoute('/v2', 'missing')),
  routeLifecycle('grpcroute-lifecycle', 'GRPCRoute', grpcRoute('Ping'), grpcRoute('Echo')),
  routeLifecycle(
    'tlsroute-lifecycle',
    'TLSRoute',
    l4Route('TLSRoute', 'passthrough', 'web'),
    l4Route('TLSRoute', 'passthrough', 'other'),
  ),
  routeLifecycle(
    'tcproute-lifecycle',
    'TCPRoute',
    l4Route('TCPRoute', 'tcp', 'web'),
    l4Route('TCPRoute', 'http', 'web'),
  ),
  routeLifecycle(
    'udproute-lifecycle',
    'UDPRoute',
    l4Route('UDPRoute', 'udp', 'web'),
    l4Route('UDPRoute', 'udp', 'missing'),
  ),
  {
    name: 'reference-grant-revoked',
    summary: 'a route to a Service in another namespace: refused, allowed by a ReferenceGrant, refused again',
    initial: {
      ...base,
      'shared.yaml': `${service('shared', 'backends')}---\n${endpoints('shared', ['10.0.2.1'], 'backends')}`,
      'route.yaml': httpRoute('/shared', 'shared', 'backends'),
    },
    steps: [
      {
        note: 'grant HTTPRoutes in apps access to Services in backends',
        files: {
          'grant.yaml': `apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata:
  name: apps-to-backends
  namespace: backends
spec:
  from:
    - group: gateway.networking.k8s.io
      kind: HTTPRoute
      namespace: apps
  to:
    - group: ""
      kind: Service
`,
        },
      },
      { note: 'revoke the grant', files: { 'grant.yaml': null } },
    ],
  },
  {
    name: 'tls-secret-rotated',
    summary: 'the HTTPS listener certificate rotated, broken (key mismatch), then fixed',
    initial: { ...base, 'route.yaml': httpRoute('/') },
    steps: [
      {
        note: 'rotate to the second certificate',
        files: { 'secret.yaml': tlsSecret('second.crt', 'second.key') },
      },
      { note: 'a key that does not match', files: { 'secret.yaml': tlsSecret('second.crt', 'first.key') } },
      { note: 'fixed', files: { 'secret.yaml': tlsSecret('first.crt', 'first.key') } },
    ],
  },
  {
    name: 'endpoints-scaled',
    summary: 'the backend scaled from one endpoint up to three, down to none, back to one',
    initial: { ...base, 'route.yaml': httpRoute('/') },
    steps: [
      {
        note: 'scale up to three',
        files: {
          'web.yaml': `${service('web')}---\n${endpoints('web', ['10.0.0.1', '10.0.0.2', '10.0.0.3'])}`,
        },
      },
      { note: 'scale down to none', files: { 'web.yaml': `${service('web')}---\n${endpoints('web', [])}` } },
      {
        note: 'back to one',
        files: { 'web.yaml': `${service('web')}---\n${endpoints('web', ['10.0.0.9'])}` },
      },
    ],
  },
  {
    name: 'route-update-flood',
    summary: 'forty updates to one HTTPRoute announced back to back: they coalesce, the last one wins',
    initial: { ...base, 'route.yaml': httpRoute('/0') },
    steps: [
      {
        note: 'flood',
        flood: { file: 'route.yaml', contents: Array.from({ length: 40 }, (_, i) => httpRoute(`/${i + 1}`)) },
      },
    ],
  },
  {
    name: 'broken-yaml-recovered',
    summary:
      'a route file saved half-edited (unreadable YAML) keeps the route as it was; the fixed file applies',
    initial: { ...base, 'route.yaml': httpRoute('/before') },
    steps: [
      { note: 'unreadable YAML', files: { 'route.yaml': `${httpRoute('/half')}  rules: [oops\n` } },
      { note: 'fixed', files: { 'route.yaml': httpRoute('/after') } },
    ],
  },
  {
    name: 'gateway-added-late',
    summary: 'a route waits for its Gateway; the Gateway appears, its listener changes, it is removed',
    initial: { 'class.yaml': gatewayClass, 'web.yaml': base['web.yaml'], 'route.yaml': httpRoute('/') },
    steps: [
      { note: 'the Gateway appears', files: { 'gateway.yaml': gateway() } },
      {
        note: 'a second listener',
        files: { 'gateway.yaml': gateway('    - name: tcp\n      protocol: TCP\n      port: 9000\n') },
      },
      { note: 'the Gateway is removed', files: { 'gateway.yaml': null } },
    ],
  },
];
