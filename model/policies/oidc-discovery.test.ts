import { describe, expect, it } from 'vitest';
import type { SecurityPolicy } from '../resources/envoy-gateway-policies.ts';
import { policyDependencies } from './dependencies.ts';
import {
  discoveryKey,
  discoveryRequest,
  discoveryUrl,
  discoveryVerdict,
  issuerNeedingDiscovery,
  OidcDiscoveryStore,
} from './oidc-discovery.ts';

const ISSUER = 'https://idp.example.com/realms/main';
const request = { issuer: ISSUER, url: `${ISSUER}/.well-known/openid-configuration` };

function policy(provider: Record<string, unknown>): SecurityPolicy {
  return {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'SecurityPolicy',
    metadata: { name: 'sso', namespace: 'apps' },
    spec: { oidc: { provider, clientID: 'app', clientSecret: { name: 'client' } } },
  } as SecurityPolicy;
}

describe('which policies need a discovery document', () => {
  it("a provider without both endpoints depends on its issuer's document; one with both does not", () => {
    const partial = policy({ issuer: ISSUER, tokenEndpoint: `${ISSUER}/token` });
    expect(issuerNeedingDiscovery(partial)).toBe(ISSUER);
    expect(policyDependencies(partial)).toContainEqual(discoveryKey(ISSUER));
    const full = policy({
      issuer: ISSUER,
      tokenEndpoint: `${ISSUER}/token`,
      authorizationEndpoint: `${ISSUER}/auth`,
    });
    expect(issuerNeedingDiscovery(full)).toBeUndefined();
    expect(policyDependencies(full)).not.toContainEqual(discoveryKey(ISSUER));
  });

  it("the request trusts the CA of the provider's backend, as Envoy Gateway does", () => {
    const withBackend = policy({ issuer: ISSUER, backendRefs: [{ name: 'idp' }] });
    const tls = { verify: { caBundle: 'PEM' }, minVersion: 'TLSv1_2', maxVersion: 'TLSv1_3' };
    const found = discoveryRequest(ISSUER, [withBackend], () => ({
      kind: 'backends',
      backends: [{ kind: 'Backend', tls } as never],
    }));
    expect(found).toEqual({ ...request, caBundle: 'PEM' });
    expect(discoveryRequest(ISSUER, [withBackend], () => undefined)).toEqual(request);
  });
});

describe('the verdict on a fetch', () => {
  it('the endpoints of a 200 naming both (end_session_endpoint, issuer and scopes_supported kept when given)', () => {
    const body = JSON.stringify({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/auth`,
      token_endpoint: `${ISSUER}/token`,
      end_session_endpoint: `${ISSUER}/logout`,
      jwks_uri: `${ISSUER}/certs`,
      scopes_supported: ['openid', 7, 'email'],
    });
    expect(discoveryVerdict(request, { status: 200, body })).toEqual({
      ok: true,
      document: {
        authorizationEndpoint: `${ISSUER}/auth`,
        tokenEndpoint: `${ISSUER}/token`,
        endSessionEndpoint: `${ISSUER}/logout`,
        issuer: ISSUER,
        scopesSupported: ['openid', 'email'],
      },
    });
    // OpenID Connect Discovery 1.0 §4: an issuer's terminating slash is removed before the well-known path.
    expect(discoveryUrl(`${ISSUER}/`)).toBe(`${ISSUER}/.well-known/openid-configuration`);
  });

  it('anything else is an error naming the URL and what was wrong', () => {
    const cases: [Parameters<typeof discoveryVerdict>[1], string][] = [
      [
        { error: 'connect ECONNREFUSED 127.0.0.1:1' },
        `fetching ${request.url} failed: connect ECONNREFUSED 127.0.0.1:1`,
      ],
      [{ status: 404, body: 'Not Found\n' }, `fetching ${request.url} answered HTTP 404 (Not Found)`],
      [{ status: 200, body: '<html>' }, `${request.url} is not JSON`],
      [
        { status: 200, body: JSON.stringify({ authorization_endpoint: `${ISSUER}/auth` }) },
        `${request.url} has no token_endpoint`,
      ],
      [
        {
          status: 200,
          body: JSON.stringify({ authorization_endpoint: 'ftp://x', token_endpoint: `${ISSUER}/t` }),
        },
        `${request.url}: authorization_endpoint is not an http(s) URL`,
      ],
    ];
    for (const [response, error] of cases)
      expect(discoveryVerdict(request, response)).toEqual({ ok: false, error });
  });

  it('the store says when a verdict changed, so only then are the policies recomputed; a document read is kept', () => {
    const store = new OidcDiscoveryStore();
    const failed = { ok: false, error: 'down' } as const;
    expect(store.set(ISSUER, failed)).toBe(true);
    expect(store.set(ISSUER, { ...failed })).toBe(false);
    const read = { ok: true, document: { authorizationEndpoint: 'a', tokenEndpoint: 't' } } as const;
    expect(store.set(ISSUER, read)).toBe(true);
    // A later failure keeps the document read: the routes stay guarded with the endpoints they had.
    expect(store.set(ISSUER, failed)).toBe(false);
    expect(store.get(ISSUER)).toEqual(read);
  });
});
