// Our own objects for the CRD validation agreement test: for each family of the CRDs' validation rules, objects
// that break it and objects that just pass it. The test compares files mode's verdict with the API server's.

type Case = { readonly name: string; readonly object: Record<string, unknown> };

const GW = 'gateway.networking.k8s.io/v1';
const meta = (name: string) => ({ name });
const parent = { name: 'gw' };
const backend = { name: 'svc', port: 8080 };

const http = (name: string, spec: Record<string, unknown>): Case => ({
  name: `HTTPRoute ${name}`,
  object: {
    apiVersion: GW,
    kind: 'HTTPRoute',
    metadata: meta(name),
    spec: { parentRefs: [parent], ...spec },
  },
});
const httpRule = (name: string, rule: Record<string, unknown>) => http(name, { rules: [rule] });
const grpc = (name: string, spec: Record<string, unknown>): Case => ({
  name: `GRPCRoute ${name}`,
  object: {
    apiVersion: GW,
    kind: 'GRPCRoute',
    metadata: meta(name),
    spec: { parentRefs: [parent], ...spec },
  },
});
const gateway = (name: string, listeners: unknown[], extra: Record<string, unknown> = {}): Case => ({
  name: `Gateway ${name}`,
  object: {
    apiVersion: GW,
    kind: 'Gateway',
    metadata: meta(name),
    spec: { gatewayClassName: 'c', listeners, ...extra },
  },
});
const l4 = (kind: string, name: string, spec: Record<string, unknown>, apiVersion = GW): Case => ({
  name: `${kind} ${name}`,
  object: { apiVersion, kind, metadata: meta(name), spec: { parentRefs: [parent], ...spec } },
});
const redirect = (path: Record<string, unknown>) => ({ type: 'RequestRedirect', requestRedirect: { path } });
const rewrite = (path: Record<string, unknown>) => ({ type: 'URLRewrite', urlRewrite: { path } });
const prefix = (value: string) => ({ path: { type: 'PathPrefix', value } });

export const RULE_CASES: readonly Case[] = [
  // HTTPRoute: filters and their fields
  httpRule('redirect-without-field', { filters: [{ type: 'RequestRedirect' }] }),
  httpRule('header-field-wrong-type', {
    filters: [{ type: 'RequestRedirect', requestHeaderModifier: { set: [{ name: 'a', value: 'b' }] } }],
  }),
  httpRule('redirect-with-backends', {
    filters: [redirect({ type: 'ReplaceFullPath', replaceFullPath: '/x' })],
    backendRefs: [backend],
  }),
  httpRule('redirect-and-rewrite', {
    filters: [
      redirect({ type: 'ReplaceFullPath', replaceFullPath: '/x' }),
      rewrite({ type: 'ReplaceFullPath', replaceFullPath: '/y' }),
    ],
  }),
  httpRule('two-header-modifiers', {
    filters: [
      { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'a', value: 'b' }] } },
      { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'c', value: 'd' }] } },
    ],
    backendRefs: [backend],
  }),
  httpRule('prefix-rewrite-regex-match', {
    matches: [{ path: { type: 'RegularExpression', value: '/a.*' } }],
    filters: [rewrite({ type: 'ReplacePrefixMatch', replacePrefixMatch: '/x' })],
    backendRefs: [backend],
  }),
  httpRule('prefix-rewrite-two-matches', {
    matches: [prefix('/a'), prefix('/b')],
    filters: [rewrite({ type: 'ReplacePrefixMatch', replacePrefixMatch: '/x' })],
    backendRefs: [backend],
  }),
  httpRule('prefix-rewrite-no-match', {
    filters: [rewrite({ type: 'ReplacePrefixMatch', replacePrefixMatch: '/x' })],
    backendRefs: [backend],
  }),
  httpRule('prefix-rewrite-one-prefix', {
    matches: [prefix('/a')],
    filters: [rewrite({ type: 'ReplacePrefixMatch', replacePrefixMatch: '/x' })],
    backendRefs: [backend],
  }),
  httpRule('prefix-redirect-in-backend', {
    matches: [{ path: { type: 'Exact', value: '/a' } }],
    backendRefs: [
      { ...backend, filters: [redirect({ type: 'ReplacePrefixMatch', replacePrefixMatch: '/x' })] },
    ],
  }),
  httpRule('rewrite-type-without-value', {
    filters: [rewrite({ type: 'ReplaceFullPath' })],
    backendRefs: [backend],
  }),
  httpRule('rewrite-value-without-type', {
    filters: [rewrite({ type: 'ReplaceFullPath', replacePrefixMatch: '/x' })],
    backendRefs: [backend],
  }),
  httpRule('mirror-percent-and-fraction', {
    filters: [
      {
        type: 'RequestMirror',
        requestMirror: { backendRef: backend, percent: 10, fraction: { numerator: 1 } },
      },
    ],
    backendRefs: [backend],
  }),
  httpRule('mirror-fraction-over-one', {
    filters: [
      {
        type: 'RequestMirror',
        requestMirror: { backendRef: backend, fraction: { numerator: 5, denominator: 2 } },
      },
    ],
    backendRefs: [backend],
  }),
  httpRule('mirror-service-without-port', {
    filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'svc' } } }],
    backendRefs: [backend],
  }),
  httpRule('cors-wildcard-and-origin', {
    filters: [{ type: 'CORS', cors: { allowOrigins: ['*', 'https://a.example'] } }],
    backendRefs: [backend],
  }),
  httpRule('cors-wildcard-method-and-other', {
    filters: [{ type: 'CORS', cors: { allowMethods: ['*', 'GET'] } }],
    backendRefs: [backend],
  }),
  httpRule('external-auth-http-without-config', {
    filters: [{ type: 'ExternalAuth', externalAuth: { protocol: 'HTTP', backendRef: backend } }],
    backendRefs: [backend],
  }),
  httpRule('external-auth-grpc', {
    filters: [{ type: 'ExternalAuth', externalAuth: { protocol: 'GRPC', backendRef: backend, grpc: {} } }],
    backendRefs: [backend],
  }),
  // HTTPRoute: matches, backends, timeouts, names, session persistence
  httpRule('relative-exact-path', {
    matches: [{ path: { type: 'Exact', value: 'relative' } }],
    backendRefs: [backend],
  }),
  httpRule('dot-segment', { matches: [prefix('/a/../b')], backendRefs: [backend] }),
  httpRule('double-slash', { matches: [prefix('/a//b')], backendRefs: [backend] }),
  httpRule('encoded-slash', { matches: [prefix('/a%2Fb')], backendRefs: [backend] }),
  httpRule('fragment', { matches: [prefix('/a#b')], backendRefs: [backend] }),
  httpRule('trailing-dot', { matches: [prefix('/a/.')], backendRefs: [backend] }),
  httpRule('space-in-path', { matches: [prefix('/a b')], backendRefs: [backend] }),
  httpRule('regex-path-anything', {
    matches: [{ path: { type: 'RegularExpression', value: '^/(a|b)+$' } }],
    backendRefs: [backend],
  }),
  httpRule('service-without-port', { backendRefs: [{ name: 'svc' }] }),
  httpRule('other-kind-without-port', { backendRefs: [{ group: 'example.dev', kind: 'Bucket', name: 'b' }] }),
  httpRule('backend-timeout-longer', {
    timeouts: { request: '1s', backendRequest: '2s' },
    backendRefs: [backend],
  }),
  httpRule('backend-timeout-with-zero-request', {
    timeouts: { request: '0s', backendRequest: '2s' },
    backendRefs: [backend],
  }),
  httpRule('session-cookie-permanent-without-timeout', {
    sessionPersistence: { type: 'Cookie', cookieConfig: { lifetimeType: 'Permanent' } },
    backendRefs: [backend],
  }),
  httpRule('session-header-with-cookie-config', {
    sessionPersistence: { type: 'Header', cookieConfig: { lifetimeType: 'Session' } },
    backendRefs: [backend],
  }),
  http('duplicate-rule-names', {
    rules: [
      { name: 'a', backendRefs: [backend] },
      { name: 'a', backendRefs: [backend] },
    ],
  }),
  http('too-many-matches', {
    rules: Array.from({ length: 9 }, (_, i) => ({
      matches: Array.from({ length: 16 }, (_, j) => prefix(`/r${i}/m${j}`)),
      backendRefs: [backend],
    })),
  }),
  http('two-parents-same-gateway', { parentRefs: [parent, parent], rules: [{ backendRefs: [backend] }] }),
  http('two-parents-two-sections', {
    parentRefs: [
      { ...parent, sectionName: 'a' },
      { ...parent, sectionName: 'b' },
    ],
    rules: [{ backendRefs: [backend] }],
  }),
  http('bad-hostname', { hostnames: ['Not_A.Host'], rules: [{ backendRefs: [backend] }] }),
  http('header-match-duplicate', {
    rules: [
      {
        matches: [
          {
            headers: [
              { name: 'a', value: '1' },
              { name: 'a', value: '2' },
            ],
          },
        ],
        backendRefs: [backend],
      },
    ],
  }),
  // GRPCRoute
  grpc('method-empty', { rules: [{ matches: [{ method: {} }], backendRefs: [backend] }] }),
  grpc('method-bad-service', {
    rules: [{ matches: [{ method: { service: 'a-b' } }], backendRefs: [backend] }],
  }),
  grpc('method-mixed-case-service', {
    rules: [{ matches: [{ method: { service: 'Foo.bar_Baz', method: 'Get' } }] }],
  }),
  grpc('method-bad-name', { rules: [{ matches: [{ method: { method: 'a.b' } }] }] }),
  grpc('method-regex', { rules: [{ matches: [{ method: { type: 'RegularExpression', service: '.*' } }] }] }),
  // Gateway and ListenerSet listeners
  gateway('tls-on-http', [
    { name: 'a', port: 80, protocol: 'HTTP', tls: { mode: 'Terminate', certificateRefs: [{ name: 'c' }] } },
  ]),
  gateway('https-passthrough', [{ name: 'a', port: 443, protocol: 'HTTPS', tls: { mode: 'Passthrough' } }]),
  gateway('tls-without-mode', [{ name: 'a', port: 443, protocol: 'TLS' }]),
  gateway('terminate-without-certs', [
    { name: 'a', port: 443, protocol: 'HTTPS', tls: { mode: 'Terminate' } },
  ]),
  gateway('hostname-on-tcp', [{ name: 'a', port: 9000, protocol: 'TCP', hostname: 'a.example' }]),
  gateway('same-port-protocol-hostname', [
    { name: 'a', port: 80, protocol: 'HTTP' },
    { name: 'b', port: 80, protocol: 'HTTP' },
  ]),
  gateway('same-names', [
    { name: 'a', port: 80, protocol: 'HTTP' },
    { name: 'a', port: 81, protocol: 'HTTP' },
  ]),
  gateway('port-zero', [{ name: 'a', port: 0, protocol: 'HTTP' }]),
  gateway('duplicate-ip-addresses', [{ name: 'a', port: 80, protocol: 'HTTP' }], {
    addresses: [
      { type: 'IPAddress', value: '10.0.0.1' },
      { type: 'IPAddress', value: '10.0.0.1' },
    ],
  }),
  gateway('bad-hostname-address', [{ name: 'a', port: 80, protocol: 'HTTP' }], {
    addresses: [{ type: 'Hostname', value: 'Not_Valid' }],
  }),
  gateway('bad-infrastructure-label', [{ name: 'a', port: 80, protocol: 'HTTP' }], {
    infrastructure: { labels: { 'a/b/c': 'x' }, annotations: { '-bad': 'y' } },
  }),
  {
    name: 'ListenerSet tls-on-udp',
    object: {
      apiVersion: GW,
      kind: 'ListenerSet',
      metadata: meta('ls'),
      spec: {
        parentRef: { name: 'gw' },
        listeners: [{ name: 'a', port: 53, protocol: 'UDP', tls: { mode: 'Terminate' } }],
      },
    },
  },
  // TCP, UDP and TLS routes
  l4('TCPRoute', 'two-rules', { rules: [{ backendRefs: [backend] }, { backendRefs: [backend] }] }),
  l4('UDPRoute', 'two-rules', { rules: [{ backendRefs: [backend] }, { backendRefs: [backend] }] }),
  l4('TCPRoute', 'service-without-port', { rules: [{ backendRefs: [{ name: 'svc' }] }] }),
  l4(
    'TCPRoute',
    'alpha-two-rules',
    { rules: [{ backendRefs: [backend] }, { backendRefs: [backend] }] },
    'gateway.networking.k8s.io/v1alpha2',
  ),
  l4('TLSRoute', 'ip-hostname', { hostnames: ['10.0.0.1'], rules: [{ backendRefs: [backend] }] }),
  l4('TLSRoute', 'wildcard-mid-label', { hostnames: ['a.*.example'], rules: [{ backendRefs: [backend] }] }),
  l4('TLSRoute', 'good-wildcard', { hostnames: ['*.example.com'], rules: [{ backendRefs: [backend] }] }),
  // BackendTLSPolicy
  {
    name: 'BackendTLSPolicy both CA kinds',
    object: {
      apiVersion: GW,
      kind: 'BackendTLSPolicy',
      metadata: meta('btp'),
      spec: {
        targetRefs: [{ group: '', kind: 'Service', name: 'svc' }],
        validation: {
          hostname: 'svc.example',
          caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'ca' }],
          wellKnownCACertificates: 'System',
        },
      },
    },
  },
  {
    name: 'BackendTLSPolicy same target twice, SAN without hostname',
    object: {
      apiVersion: GW,
      kind: 'BackendTLSPolicy',
      metadata: meta('btp2'),
      spec: {
        targetRefs: [
          { group: '', kind: 'Service', name: 'svc' },
          { group: '', kind: 'Service', name: 'svc' },
        ],
        validation: {
          hostname: 'svc.example',
          wellKnownCACertificates: 'System',
          subjectAltNames: [{ type: 'Hostname' }],
        },
      },
    },
  },
  // InferencePool
  {
    name: 'InferencePool duplicate ports, picker without port',
    object: {
      apiVersion: 'inference.networking.k8s.io/v1',
      kind: 'InferencePool',
      metadata: meta('pool'),
      spec: {
        selector: { matchLabels: { app: 'm' } },
        targetPorts: [{ number: 8000 }, { number: 8000 }],
        endpointPickerRef: { name: 'picker' },
      },
    },
  },
  // Our own CRDs: MCPRoute, QuotaPolicy
  {
    name: 'MCPRoute duplicate backends, include and includeRegex',
    object: {
      apiVersion: 'aigateway.envoyproxy.io/v1alpha1',
      kind: 'MCPRoute',
      metadata: meta('mcp'),
      spec: {
        parentRefs: [{ name: 'gw', kind: 'Gateway' }],
        backendRefs: [{ name: 'a', toolSelector: { include: ['x'], includeRegex: ['y'] } }, { name: 'a' }],
      },
    },
  },
  {
    name: 'QuotaPolicy targeting a Service',
    object: {
      apiVersion: 'aigateway.envoyproxy.io/v1alpha1',
      kind: 'QuotaPolicy',
      metadata: meta('quota'),
      spec: { targetRefs: [{ group: '', kind: 'Service', name: 'svc' }] },
    },
  },
  // GatewayClass (a create: the immutability rule compares with no old object)
  {
    name: 'GatewayClass',
    object: {
      apiVersion: GW,
      kind: 'GatewayClass',
      metadata: meta('cel-agreement'),
      spec: { controllerName: 'example.dev/c' },
    },
  },
];

/** Values the mutation property puts in place of a field. */
export const MUTATION_VALUES: readonly unknown[] = [
  '',
  '/',
  'relative',
  '/a//b',
  'Exact',
  'PathPrefix',
  'RegularExpression',
  'RequestRedirect',
  'URLRewrite',
  'ReplacePrefixMatch',
  'HTTP',
  'HTTPS',
  'TLS',
  'TCP',
  'Terminate',
  'Passthrough',
  '*.example.com',
  '10.0.0.1',
  'Service',
  0,
  -1,
  65_536,
  3,
  [],
  {},
  { type: 'RequestRedirect' },
  [{ name: 'svc' }],
  [{ path: { type: 'PathPrefix', value: '/a' } }, { path: { type: 'Exact', value: '/b' } }],
  [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/p' } } }],
];
