import { describe, expect, it } from 'vitest';
import { evaluateAll } from '../evaluation/full-evaluation.ts';
import type { GatewayIR, RuleIR } from '../ir/gateway-ir.ts';
import type { PolicyAncestorStatusShape, SecurityPolicy } from '../resources/envoy-gateway-policies.ts';
import type { AnyResource } from '../resources/kinds.ts';
import { findCondition } from '../shared/conditions.ts';
import { ResourceStore } from '../shared/resource-view.ts';
import { CONTROLLER, NOW, readManifests, storeOf } from '../testdata/fixtures.ts';
import { OidcDiscoveryStore } from './oidc-discovery.ts';
import { evaluateSecurityPolicy } from './security-policy.ts';

const store = storeOf('base.yaml', 'security-policies.yaml');
const result = evaluateAll(store, { controllerName: CONTROLLER, now: NOW });
const ir = result.irs.get('gateway.networking.k8s.io/Gateway/infra/edge') as GatewayIR;

function rulesOf(route: string): readonly RuleIR[] {
  const found = ir.ports
    .flatMap((p) => p.listeners.flatMap((l) => l.routes))
    .find((r) => r.route.name === route);
  if (found === undefined) throw new Error(`route ${route} not in the IR`);
  return found.rules;
}

function ancestors(name: string): PolicyAncestorStatusShape[] {
  const status = result.statuses.get(`gateway.envoyproxy.io/SecurityPolicy/infra/${name}`) as
    | { ancestors: PolicyAncestorStatusShape[] }
    | undefined;
  return status?.ancestors ?? [];
}

function accepted(name: string) {
  return findCondition(ancestors(name)[0]?.conditions as never, 'Accepted');
}

describe('SecurityPolicy attachment', () => {
  it('applies the most specific policy: rule over route over Gateway', () => {
    const [admin, rest] = rulesOf('app');
    expect(admin?.policies?.security?.policy.name).toBe('admin-rule');
    expect(admin?.policies?.security?.authorization?.rules[0]?.clientCIDRs).toEqual([
      { address: '10.0.0.0', prefixLength: 8 },
    ]);
    expect(rest?.policies?.security?.policy.name).toBe('app-jwt');
    expect(rest?.policies?.security?.jwt?.providers[0]?.jwks).toMatchObject({
      kind: 'remote',
      destination: { kind: 'uri', host: 'idp.example.com', port: 443, tls: true },
    });
    const [plainRule] = rulesOf('plain-route');
    // The Gateway-wide policy would apply, but the route's own (invalid) policy is more specific: denied.
    expect(plainRule?.policies?.denied?.policy.name).toBe('typo');
  });

  it('reports the Gateway as ancestor, Accepted, and Overridden for the routes with their own policy', () => {
    expect(ancestors('gateway-wide')).toHaveLength(1);
    expect(ancestors('gateway-wide')[0]?.ancestorRef).toMatchObject({ kind: 'Gateway', name: 'edge' });
    expect(accepted('gateway-wide')).toMatchObject({ status: 'True', reason: 'Accepted' });
    const overridden = findCondition(ancestors('gateway-wide')[0]?.conditions as never, 'Overridden');
    // Every route of the Gateway has its own policy (even an invalid one is more specific, and denies).
    expect(overridden?.message).toContain(
      'these routes: HTTPRoute/infra/app, HTTPRoute/infra/broken, HTTPRoute/infra/plain-route',
    );
  });

  it('of two policies on one route the older wins; the newer is Conflicted', () => {
    expect(accepted('app-jwt')).toMatchObject({ status: 'True' });
    expect(accepted('app-jwt-newer')).toMatchObject({ status: 'False', reason: 'Conflicted' });
    expect(accepted('app-jwt-newer')?.message).toContain('infra/app-jwt');
  });

  it('denies the routes of a policy that cannot be enforced, naming the reason', () => {
    const [rule] = rulesOf('broken');
    expect(rule?.policies?.denied).toMatchObject({ status: 500 });
    expect(rule?.policies?.denied?.reason).toContain('Secret infra/nobody not found');
    expect(accepted('missing-secret')).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(accepted('missing-secret')?.message).toContain('answer 500');
  });

  it('names an unknown field, as strict field validation would', () => {
    expect(accepted('typo')).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(accepted('typo')?.message).toContain(
      'spec.jwt.providers[0].remoteJWKS.cacheDurationz: unknown field',
    );
  });

  it('reports a missing target as TargetNotFound', () => {
    expect(ancestors('later-target')[0]?.ancestorRef).toMatchObject({ kind: 'HTTPRoute', name: 'not-yet' });
    expect(accepted('later-target')).toMatchObject({ status: 'False', reason: 'TargetNotFound' });
  });
});

describe('SecurityPolicy status.ancestors', () => {
  it("keeps at most 16 entries: another controller's first, then ours, refusals before acceptances", () => {
    const world = storeOf('base.yaml');
    const names = Array.from({ length: 20 }, (_, i) => `gw-${String(i).padStart(2, '0')}`);
    for (const name of names)
      world.upsert({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name, namespace: 'infra', generation: 1 },
        spec: { gatewayClassName: 'switchyard', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
      } as AnyResource);
    const other = {
      ancestorRef: {
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        namespace: 'infra',
        name: 'theirs',
      },
      controllerName: 'example.com/other-controller',
      conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'theirs' }],
    };
    world.upsert({
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'SecurityPolicy',
      metadata: { name: 'many', namespace: 'infra', generation: 1 },
      spec: {
        targetRefs: [...names, 'missing'].map((name) => ({
          group: 'gateway.networking.k8s.io',
          kind: 'Gateway',
          name,
        })),
        cors: { allowOrigins: ['https://a.example.com'] },
      },
      status: { ancestors: [other] },
    } as AnyResource);
    const statuses = evaluateAll(world, { controllerName: CONTROLLER, now: NOW }).statuses;
    const entries = (
      statuses.get('gateway.envoyproxy.io/SecurityPolicy/infra/many') as {
        ancestors: PolicyAncestorStatusShape[];
      }
    ).ancestors;
    expect(entries).toHaveLength(16);
    expect(entries[0]).toEqual(other);
    // The entry that needs attention (a Gateway not found) is kept ahead of the accepted ones.
    expect(entries[1]?.ancestorRef.name).toBe('missing');
    expect(findCondition(entries[1]?.conditions as never, 'Accepted')?.reason).toBe('TargetNotFound');
    expect(entries.slice(2).map((e) => e.ancestorRef.name)).toEqual(names.slice(0, 14));
  });
});

// A policy's regexes reach Envoy (RBAC `:path` matches, CORS origin matchers): RE2's verdict, not RegExp's.
describe('SecurityPolicy regexes as Envoy RE2 reads them', () => {
  const authorizationPath = (path: object) => ({
    authorization: { defaultAction: 'Deny', rules: [{ action: 'Allow', operation: { path } }] },
  });
  const CASES: readonly (readonly [string, object, RegExp | undefined])[] = [
    [
      'authorization path look-behind',
      authorizationPath({ type: 'RegularExpression', value: '/(?<=a)b' }),
      /spec\.authorization\.rules\[0\]\.operation\.path\.value: invalid regular expression: invalid perl operator: \(\?</,
    ],
    [
      'authorization path whose program is too large',
      authorizationPath({ type: 'RegularExpression', value: '/[a-z]{0,600}' }),
      /operation\.path\.value: invalid regular expression: RE2 program size of \d+ > max program size of 1000/,
    ],
    [
      'authorization named group (RegExp and RE2 agree)',
      authorizationPath({ type: 'RegularExpression', value: '/(?P<v>v1)/.*' }),
      undefined,
    ],
    [
      'CORS wildcard origin too large',
      { cors: { allowOrigins: [`https://${'*.a'.repeat(120)}`] } },
      /spec\.cors\.allowOrigins\[0\]: invalid as a regular expression: RE2 program size/,
    ],
    ['CORS wildcard origin', { cors: { allowOrigins: ['https://*.example.com'] } }, undefined],
  ];

  it.each(CASES)('%s', (_, spec, refused) => {
    const store = new ResourceStore();
    for (const object of readManifests('base.yaml', 'security-policies.yaml')) store.upsert(object);
    const policy = {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'SecurityPolicy',
      metadata: { name: 'regex', namespace: 'infra', generation: 1, creationTimestamp: NOW },
      spec: {
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'not-yet' }],
        ...spec,
      },
    };
    const route = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'not-yet', namespace: 'infra', generation: 1, creationTimestamp: NOW },
      spec: { parentRefs: [{ name: 'edge' }], rules: [{ backendRefs: [{ name: 'app', port: 80 }] }] },
    };
    store.upsert(route as never);
    store.upsert(policy as never);
    const statuses = evaluateAll(store, { controllerName: CONTROLLER, now: NOW }).statuses;
    const status = statuses.get('gateway.envoyproxy.io/SecurityPolicy/infra/regex') as {
      ancestors: PolicyAncestorStatusShape[];
    };
    const condition = findCondition(status.ancestors[0]?.conditions as never, 'Accepted');
    if (refused === undefined) expect(condition).toMatchObject({ status: 'True' });
    else {
      expect(condition).toMatchObject({ status: 'False', reason: 'Invalid' });
      expect(condition?.message).toMatch(refused);
    }
  });
});

describe('SecurityPolicy oidc', () => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'client', namespace: 'infra' },
    data: { 'client-secret': Buffer.from('s3cret').toString('base64') },
  };
  const provider = {
    issuer: 'https://idp.example.com',
    authorizationEndpoint: 'https://idp.example.com/authorize',
    tokenEndpoint: 'https://idp.example.com:8443/token',
  };
  function evaluate(oidc: Record<string, unknown>, discovery?: OidcDiscoveryStore) {
    const policy = {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'SecurityPolicy',
      metadata: { name: 'sso', namespace: 'infra' },
      spec: { oidc },
    } as SecurityPolicy;
    return evaluateSecurityPolicy(policy, new ResourceStore([secret as AnyResource]), {
      hostDataPlane: false,
      ...(discovery === undefined ? {} : { oidcDiscovery: discovery }),
    });
  }

  it("resolves Envoy Gateway's defaults: openid after the user's scopes, the callback and logout paths, refresh tokens on", () => {
    const verdict = evaluate({
      provider,
      clientID: 'app',
      clientSecret: { name: 'client' },
      scopes: ['email'],
    });
    expect(verdict.ok && verdict.ir.oidc).toEqual({
      issuer: 'https://idp.example.com',
      authorizationEndpoint: 'https://idp.example.com/authorize',
      tokenEndpoint: {
        uri: 'https://idp.example.com:8443/token',
        destination: { kind: 'uri', host: 'idp.example.com', port: 8443, tls: true },
      },
      clientId: 'app',
      clientSecret: 's3cret',
      scopes: ['email', 'openid'],
      resources: [],
      redirectUri: '%REQ(x-forwarded-proto)%://%REQ(:authority)%/oauth2/callback',
      redirectPath: '/oauth2/callback',
      logoutPath: '/logout',
      forwardAccessToken: false,
      refreshToken: true,
      cookieNames: {},
    });
  });

  it('refuses what it cannot enforce, naming the field (the routes answer 500)', () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { provider: { issuer: provider.issuer }, clientID: 'app', clientSecret: { name: 'client' } },
        'spec.oidc.provider: the discovery document https://idp.example.com/.well-known/openid-configuration has not been read yet',
      ],
      [
        { provider, clientID: 'app', clientSecret: { name: 'nope' } },
        'spec.oidc.clientSecret: Secret infra/nope not found',
      ],
      [
        { provider, clientSecret: { name: 'client' } },
        'spec.oidc: set exactly one of clientID and clientIDRef',
      ],
      [
        { provider, clientID: 'app', clientSecret: { name: 'client' }, passThroughAuthHeader: true },
        'spec.oidc.passThroughAuthHeader: not supported by Switchyard',
      ],
      [
        {
          provider,
          clientID: 'app',
          clientSecret: { name: 'client' },
          redirectURL: 'https://app.example.com',
        },
        'spec.oidc.redirectURL: "https://app.example.com" has no path',
      ],
      [
        {
          provider: { ...provider, issuer: 'idp.example.com' },
          clientID: 'app',
          clientSecret: { name: 'client' },
        },
        'spec.oidc.provider.issuer: "idp.example.com" is not an http(s) URL',
      ],
    ];
    for (const [oidc, message] of cases) {
      const verdict = evaluate(oidc);
      expect(verdict.ok ? '' : verdict.message, message).toContain(message);
      expect(verdict.ok ? false : verdict.failClosed).toBe(true);
    }
  });

  it('denyRedirect: requests matching its headers answer 401 instead of a redirect; a bad match refused', () => {
    const base = { provider, clientID: 'app', clientSecret: { name: 'client' } };
    const verdict = evaluate({
      ...base,
      denyRedirect: {
        headers: [
          { name: 'X-Requested-With', value: 'XMLHttpRequest' },
          { name: 'Accept', type: 'Prefix', value: 'application/json' },
        ],
      },
    });
    expect(verdict.ok && verdict.ir.oidc?.denyRedirect).toEqual([
      { name: 'X-Requested-With', type: 'Exact', value: 'XMLHttpRequest' },
      { name: 'Accept', type: 'Prefix', value: 'application/json' },
    ]);
    const bad = evaluate({ ...base, denyRedirect: { headers: [{ name: 'x', type: 'Glob', value: '*' }] } });
    expect(bad.ok ? '' : bad.message).toContain('spec.oidc.denyRedirect.headers[0].type: Glob is not one of');
    const none = evaluate({ ...base, denyRedirect: { headers: [] } });
    expect(none.ok ? '' : none.message).toContain('spec.oidc.denyRedirect.headers: 1 to 16 headers');
  });

  describe("discovery: an endpoint not given comes from the issuer's document", () => {
    const base = { clientID: 'app', clientSecret: { name: 'client' } };
    const documentOf = (entry: Parameters<OidcDiscoveryStore['set']>[1]) => {
      const store = new OidcDiscoveryStore();
      store.set(provider.issuer, entry);
      return store;
    };
    const discovered = documentOf({
      ok: true,
      document: {
        authorizationEndpoint: 'https://login.example.com/oauth/authorize',
        tokenEndpoint: 'https://login.example.com/oauth/token',
      },
    });

    it('both endpoints from the document', () => {
      const verdict = evaluate({ ...base, provider: { issuer: provider.issuer } }, discovered);
      expect(verdict.ok && verdict.ir.oidc).toMatchObject({
        authorizationEndpoint: 'https://login.example.com/oauth/authorize',
        tokenEndpoint: {
          uri: 'https://login.example.com/oauth/token',
          destination: { kind: 'uri', host: 'login.example.com', port: 443, tls: true },
        },
      });
    });

    it('an endpoint given wins over the document (extra parameters on the authorization URL)', () => {
      const verdict = evaluate(
        {
          ...base,
          provider: {
            issuer: provider.issuer,
            authorizationEndpoint: 'https://idp.example.com/authorize?x=1',
          },
        },
        discovered,
      );
      expect(verdict.ok && verdict.ir.oidc).toMatchObject({
        authorizationEndpoint: 'https://idp.example.com/authorize?x=1',
        tokenEndpoint: { uri: 'https://login.example.com/oauth/token' },
      });
    });

    it('a document that could not be read refuses the policy with the reason (its routes answer 500)', () => {
      const verdict = evaluate(
        { ...base, provider: { issuer: provider.issuer } },
        documentOf({
          ok: false,
          error: 'fetching https://idp.example.com/.well-known/openid-configuration answered HTTP 404',
        }),
      );
      expect(verdict.ok ? '' : verdict.message).toBe(
        'spec.oidc.provider: fetching https://idp.example.com/.well-known/openid-configuration answered HTTP 404; fix the provider or set authorizationEndpoint and tokenEndpoint',
      );
      expect(verdict.ok ? false : verdict.failClosed).toBe(true);
    });
  });
});
