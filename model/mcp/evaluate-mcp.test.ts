import { describe, expect, it } from 'vitest';
import { buildGatewayIR } from '../evaluation/build-gateway-ir.ts';
import { dependenciesOf } from '../evaluation/dependencies.ts';
import type { AnyResource } from '../resources/kinds.ts';
import type { MCPRoute } from '../resources/mcp.ts';
import { formatResourceKey } from '../resources/resource-key.ts';
import type { ResourceStore } from '../shared/resource-view.ts';
import { CONTROLLER, NOW, storeOf } from '../testdata/fixtures.ts';
import { evaluateMCP } from './evaluate-mcp.ts';
import { evaluateMCPRoute } from './route-evaluation.ts';

const options = { controllerName: CONTROLLER, now: NOW };

function world(): ResourceStore {
  return storeOf('mcp.yaml');
}

function route(name: string, spec: Record<string, unknown>): MCPRoute {
  return {
    apiVersion: 'aigateway.envoyproxy.io/v1beta1',
    kind: 'MCPRoute',
    metadata: { name, namespace: 'tools', generation: 1 },
    spec: { parentRefs: [{ name: 'gw' }], backendRefs: [{ name: 'docs', port: 80 }], ...spec },
  } as MCPRoute;
}

function evaluate(spec: Record<string, unknown>, store = world()) {
  return evaluateMCPRoute(route('r', spec), store, options);
}

function condition(result: ReturnType<typeof evaluate>, type: string) {
  return result.status.conditions?.find((c) => c.type === type);
}

describe('MCPRoute → the MCP proxy configuration', () => {
  it('turns the manifests into routes with resolved backends, selectors, credentials and OAuth', () => {
    const result = evaluateMCP(world(), options);
    expect(result.config).toEqual({
      routes: [
        {
          name: 'tools/plain',
          path: '/mcp',
          backends: [
            { name: 'docs', url: 'http://docs.tools.svc.cluster.local/mcp', endpoints: ['127.0.0.1:18002'] },
          ],
        },
        {
          name: 'tools/tools',
          path: '/tools/mcp',
          backends: [
            {
              name: 'github',
              url: 'http://github.tools.svc.cluster.local:8000/mcp/x/issues',
              endpoints: ['127.0.0.1:18001', '127.0.0.2:18001'],
              toolSelector: { includeRegex: ['.*issues?.*'] },
              apiKey: { key: 'ghp-test' },
            },
            {
              name: 'docs',
              url: 'http://docs.tools.svc.cluster.local/mcp',
              endpoints: ['127.0.0.1:18002'],
              toolSelector: { include: ['search'], exclude: ['delete'] },
              apiKey: { key: 'docs-key', header: 'X-Api-Key' },
            },
            { name: 'saas', url: 'https://mcp.example.com/v1/mcp' },
          ],
          authentication: {
            jwt: {
              issuer: 'https://auth.example.com/realms/main',
              audiences: ['https://gw.example.com/tools/mcp'],
              jwks: { json: '{"keys":[{"kty":"EC","crv":"P-256","x":"x","y":"y","kid":"k1"}]}' },
            },
            resourceMetadata: {
              resource: 'https://gw.example.com/tools/mcp',
              scopesSupported: ['mcp.tools'],
            },
          },
        },
      ],
    });
    const tools = result.statuses.find((s) => s.key.name === 'tools')!.status.conditions!;
    expect(tools).toEqual([
      {
        type: 'Accepted',
        status: 'True',
        reason: 'Accepted',
        message: 'MCP route accepted: github, docs, saas',
        lastTransitionTime: NOW,
        observedGeneration: 3,
      },
    ]);
  });

  it('routes the path (exactly) and the metadata path to the MCP proxy, naming the route, with no timeout', () => {
    const store = world();
    const evaluations = (store.list('MCPRoute') as MCPRoute[]).map(
      (r) => evaluateMCPRoute(r, store, options).evaluation,
    );
    const gateway = store.get('Gateway', 'tools', 'gw')!;
    const ir = buildGatewayIR(gateway, store, evaluations, { controllerName: CONTROLLER });
    const routes = ir!.ports[0]!.listeners[0]!.routes;
    expect(routes.map((r) => [r.route.name, r.mcp?.name, r.mcp?.backends.length])).toEqual([
      ['plain', 'tools/plain', 1],
      ['tools', 'tools/tools', 3],
    ]);
    const tools = routes.find((r) => r.route.name === 'tools')!;
    expect(tools.rules.map((rule) => [rule.name, rule.matches, rule.backends, rule.timeouts])).toEqual([
      ['mcp', [{ path: { type: 'Exact', value: '/tools/mcp' } }], [], { requestMs: 0 }],
      [
        'oauth-protected-resource-metadata',
        [{ path: { type: 'Exact', value: '/.well-known/oauth-protected-resource/tools/mcp' } }],
        [],
        undefined,
      ],
    ]);
    expect(tools.rules[0]!.filters).toEqual([
      {
        type: 'RequestHeaderModifier',
        requestHeaderModifier: { set: [{ name: 'x-switchyard-mcp-route', value: 'tools/tools' }] },
      },
    ]);
  });

  it('reads its Gateways, Services, Secrets and the JWKS ConfigMap', () => {
    const tools = world().get('MCPRoute', 'tools', 'tools') as AnyResource;
    expect(dependenciesOf(tools).map(formatResourceKey)).toEqual(
      expect.arrayContaining([
        'gateway.networking.k8s.io/Gateway/tools/gw',
        'core/Service/tools/github',
        'core/Service/tools/docs',
        'core/Service/tools/saas',
        'core/Secret/tools/github-token',
        'core/ConfigMap/tools/keys',
      ]),
    );
  });

  it('serves no route with a security setting it cannot enforce, and says why', () => {
    for (const [spec, field] of [
      [{ securityPolicy: { authorization: { rules: [] } } }, 'spec.securityPolicy.authorization'],
      [{ securityPolicy: { apiKeyAuth: { credentialRefs: [] } } }, 'spec.securityPolicy.apiKeyAuth'],
      [{ securityPolicy: { extAuth: {} } }, 'spec.securityPolicy.extAuth'],
      [{ backendSelector: { rules: [] } }, 'spec.backendSelector'],
    ] as const) {
      const result = evaluate(spec);
      expect(result.config).toBeUndefined();
      expect(result.evaluation.rules).toEqual([]);
      expect(condition(result, 'NotAccepted')).toMatchObject({
        status: 'False',
        reason: 'UnsupportedValue',
        message: `${field}: is not supported; the route is not served`,
      });
    }
  });

  it('refuses OAuth it cannot verify: missing keys, a bad key set, a bad issuer', () => {
    const metadata = { resource: 'https://gw/mcp' };
    for (const [jwks, reason, message] of [
      [
        { localJWKS: { type: 'ValueRef', valueRef: { name: 'gone' } } },
        'ConfigMapNotFound',
        'ConfigMap tools/gone',
      ],
      [{ localJWKS: { inline: 'not json' } }, 'UnsupportedValue', 'is not JSON'],
      [{ localJWKS: { inline: '{"k":1}' } }, 'UnsupportedValue', 'is not a JSON Web Key Set'],
      [
        { remoteJWKS: { uri: 'https://keys', backendRefs: [{ name: 'x' }] } },
        'UnsupportedValue',
        'backendRefs: not supported',
      ],
    ] as const) {
      const result = evaluate({
        securityPolicy: { oauth: { issuer: 'https://issuer', jwks, protectedResourceMetadata: metadata } },
      });
      expect(result.config).toBeUndefined();
      expect(condition(result, 'NotAccepted')).toMatchObject({ reason });
      expect(condition(result, 'NotAccepted')!.message).toContain(message);
    }
    const noIssuer = evaluate({
      securityPolicy: { oauth: { issuer: 'nope', protectedResourceMetadata: metadata } },
    });
    expect(condition(noIssuer, 'NotAccepted')!.message).toBe(
      'spec.securityPolicy.oauth.issuer: must be a URL',
    );
    // No jwks: discovered from the issuer by the proxy.
    const discovered = evaluate({
      securityPolicy: { oauth: { issuer: 'https://issuer', protectedResourceMetadata: metadata } },
    });
    expect(discovered.config?.authentication?.jwt).toEqual({ issuer: 'https://issuer', audiences: [] });
  });

  it('leaves out a backend it cannot use safely, naming it; with none left the route is not accepted', () => {
    const result = evaluate({
      backendRefs: [
        { name: 'docs', port: 80 },
        { name: 'github', port: 8000, toolSelector: { includeRegex: ['(?=x)'] } },
        { name: 'github', port: 8000, toolSelector: {} },
        { name: 'ghost', port: 80 },
        { name: 'saas', port: 443, securityPolicy: { apiKey: { secretRef: { name: 'missing' } } } },
      ],
    });
    // Duplicate names refuse the whole route first.
    expect(condition(result, 'NotAccepted')!.message).toBe(
      "spec.backendRefs[2].name: 'github' is used twice",
    );
    const mixed = evaluate({
      backendRefs: [
        { name: 'docs', port: 80 },
        { name: 'github', port: 8000, toolSelector: { includeRegex: ['(?=x)'] } },
        { name: 'ghost', port: 80 },
        { name: 'saas', port: 443, securityPolicy: { apiKey: { secretRef: { name: 'missing' } } } },
      ],
    });
    expect(mixed.config?.backends.map((b) => b.name)).toEqual(['docs']);
    expect(condition(mixed, 'Accepted')!.message).toBe(
      "MCP route accepted: docs; left out: spec.backendRefs[1].toolSelector: includeRegex[0] '(?=x)' is not a regular expression RE2 accepts: invalid perl operator: (?=; spec.backendRefs[2]: Service tools/ghost not found; spec.backendRefs[3].securityPolicy.apiKey.secretRef: Secret tools/missing with key 'apiKey' not found",
    );
    expect(condition(mixed, 'ResolvedRefs')).toMatchObject({ status: 'False', reason: 'BackendNotFound' });
    const none = evaluate({ backendRefs: [{ name: 'ghost', port: 80 }] });
    expect(none.config).toBeUndefined();
    expect(condition(none, 'NotAccepted')).toMatchObject({
      reason: 'BackendNotFound',
      message: 'no MCP server can be served; spec.backendRefs[0]: Service tools/ghost not found',
    });
    const selectors = evaluate({
      backendRefs: [{ name: 'docs', port: 80, toolSelector: { include: ['a'], includeRegex: ['b'] } }],
    });
    expect(condition(selectors, 'NotAccepted')!.message).toContain(
      'include and includeRegex are mutually exclusive',
    );
  });

  it('checks header and tool regexes with RE2, as the data planes read them', () => {
    // A header regex becomes an Envoy route match: one RE2 refuses would make Envoy refuse the port's routes.
    for (const [value, error] of [
      ['(?<!x)y', 'invalid perl operator: (?<'],
      ['a{1001}', 'invalid repetition size: {1001}'],
      ['(a', 'missing ): (a'],
    ]) {
      const refused = evaluate({ headers: [{ type: 'RegularExpression', name: 'x-team', value }] });
      expect(refused.config).toBeUndefined();
      expect(condition(refused, 'NotAccepted')).toMatchObject({
        reason: 'UnsupportedValue',
        message: `spec.headers[0].value: invalid regular expression: ${error}`,
      });
    }
    const headers = [{ type: 'RegularExpression', name: 'x-team', value: '^(?P<team>[a-z]+)$' }];
    expect(evaluate({ headers }).config).toBeDefined();
    expect(
      condition(evaluate({ headers: [{ name: 'bad name', value: 'a' }] }), 'NotAccepted')!.message,
    ).toMatch(/^spec\.headers\[0\]\.name: "bad name" is not a header name/);
    // Tool selectors: RE2 (the syntax Envoy AI Gateway documents), and what switchyard mcp (JavaScript) can run.
    const tools = (expression: string) =>
      condition(
        evaluate({ backendRefs: [{ name: 'docs', port: 80, toolSelector: { includeRegex: [expression] } }] }),
        'NotAccepted',
      )?.message;
    expect(tools('a{1001}')).toContain(
      "includeRegex[0] 'a{1001}' is not a regular expression RE2 accepts: invalid repetition size: {1001}",
    );
    expect(tools('\\pN')).toContain("includeRegex[0] '\\pN' is RE2 but not one the MCP proxy can run");
    expect(tools('^search-[a-z]+$')).toBeUndefined();
  });

  it('a backend with no ready endpoint stays, with an empty endpoint list (the proxy reports it down)', () => {
    const store = world();
    store.delete({ kind: 'EndpointSlice', namespace: 'tools', name: 'docs-1' });
    const result = evaluate({}, store);
    expect(result.config?.backends).toEqual([
      { name: 'docs', url: 'http://docs.tools.svc.cluster.local/mcp', endpoints: [] },
    ]);
  });

  it('Envoy Gateway Backends as MCP servers: FQDN with the system CAs, static IPs; what the proxy cannot do left out', () => {
    const store = world();
    const backend = (name: string, spec: Record<string, unknown>) =>
      store.upsert({
        apiVersion: 'gateway.envoyproxy.io/v1alpha1',
        kind: 'Backend',
        metadata: { name, namespace: 'tools', generation: 1 },
        spec,
      } as unknown as AnyResource);
    backend('github', {
      endpoints: [{ fqdn: { hostname: 'api.githubcopilot.com', port: 443 } }],
      tls: { wellKnownCACertificates: 'System' },
    });
    backend('local', {
      endpoints: [{ ip: { address: '10.0.0.5', port: 8080 } }, { ip: { address: '10.0.0.6', port: 8080 } }],
    });
    backend('lax', {
      endpoints: [{ fqdn: { hostname: 'mcp.example.com', port: 443 } }],
      tls: { insecureSkipVerify: true },
    });
    const ref = (name: string) => ({ name, group: 'gateway.envoyproxy.io', kind: 'Backend' });
    const result = evaluate(
      {
        backendRefs: [
          { ...ref('github'), path: '/mcp/x/issues', securityPolicy: { apiKey: { inline: 'ghp' } } },
          ref('local'),
          ref('lax'),
        ],
      },
      store,
    );
    expect(result.config?.backends).toEqual([
      { name: 'github', url: 'https://api.githubcopilot.com/mcp/x/issues', apiKey: { key: 'ghp' } },
      { name: 'local', url: 'http://10.0.0.5:8080/mcp', endpoints: ['10.0.0.5:8080', '10.0.0.6:8080'] },
    ]);
    expect(condition(result, 'Accepted')!.message).toBe(
      'MCP route accepted: github, local; left out: spec.backendRefs[2]: Backend tools/lax: TLS without verification is not supported for MCP servers (the system trust store only)',
    );
    const other = evaluate({ backendRefs: [{ name: 'x', group: 'example.com', kind: 'Thing' }] });
    expect(condition(other, 'NotAccepted')).toMatchObject({
      reason: 'InvalidKind',
      message:
        'no MCP server can be served; spec.backendRefs[0]: example.com/Thing is not supported; reference a Service or a gateway.envoyproxy.io Backend',
    });
  });

  it('a route whose Gateway is not ours gets no status and no configuration', () => {
    const result = evaluate({ parentRefs: [{ name: 'elsewhere' }] });
    expect(result.ours).toBe(false);
  });
});
