// SecurityPolicy `oidc` → OidcIR: Envoy Gateway's defaults, refusals naming the field, denyRedirect, discovery,
// and the session options (cookies, plain-text tokens, the ID token forwarded, logout, passThroughAuthHeader).
import { describe, expect, it } from 'vitest';
import type { SecurityPolicy } from '../resources/envoy-gateway-policies.ts';
import type { AnyResource } from '../resources/kinds.ts';
import { ResourceStore } from '../shared/resource-view.ts';
import { OidcDiscoveryStore } from './oidc-discovery.ts';
import { evaluateSecurityPolicy } from './security-policy.ts';

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
  function evaluate(oidc: Record<string, unknown>, discovery?: OidcDiscoveryStore, jwt?: unknown) {
    const policy = {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'SecurityPolicy',
      metadata: { name: 'sso', namespace: 'infra' },
      spec: { oidc, ...(jwt === undefined ? {} : { jwt }) },
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
        'spec.oidc.passThroughAuthHeader: needs spec.jwt, whose providers check the tokens let through',
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

  describe('session options, as Envoy Gateway takes them', () => {
    const base = { provider, clientID: 'app', clientSecret: { name: 'client' } };
    const jwks = { uri: 'https://idp.example.com/jwks' };

    it('cookie domain and SameSite, the CSRF cookie lifetime, plain-text tokens, the ID token header, logout', () => {
      const verdict = evaluate({
        ...base,
        provider: { ...provider, endSessionEndpoint: 'https://idp.example.com/logout' },
        cookieDomain: 'example.com',
        cookieConfig: { sameSite: 'Lax' },
        csrfTokenTTL: '90s',
        disableTokenEncryption: true,
        forwardIDToken: { header: 'X-Id-Token' },
      });
      expect(verdict.ok && verdict.ir.oidc).toMatchObject({
        cookieDomain: 'example.com',
        sameSite: 'Lax',
        csrfTokenTtlMs: 90_000,
        disableTokenEncryption: true,
        forwardIdTokenHeader: 'X-Id-Token',
        endSessionEndpoint: 'https://idp.example.com/logout',
      });
    });

    it('passThroughAuthHeader: the headers the JWT providers read (Authorization: Bearer by default)', () => {
      const verdict = evaluate({ ...base, passThroughAuthHeader: true }, undefined, {
        providers: [
          { name: 'a', remoteJWKS: jwks },
          { name: 'b', remoteJWKS: jwks, extractFrom: { headers: [{ name: 'X-Token' }], cookies: ['t'] } },
          { name: 'c', remoteJWKS: jwks, extractFrom: { headers: [{ name: 'X-Api', valuePrefix: 'Key ' }] } },
        ],
      });
      expect(verdict.ok && verdict.ir.oidc?.passThroughHeaders).toEqual([
        { name: 'Authorization', prefix: 'Bearer ' },
        { name: 'X-Token' },
        { name: 'X-Api', prefix: 'Key ' },
      ]);
    });

    it('refuses what Envoy Gateway refuses, naming the field', () => {
      const cookiesOnly = { providers: [{ name: 'a', remoteJWKS: jwks, extractFrom: { cookies: ['t'] } }] };
      const cases: [Record<string, unknown>, unknown, string][] = [
        [{ cookieDomain: 'Example.COM' }, undefined, 'spec.oidc.cookieDomain: "Example.COM" is not'],
        [{ cookieConfig: { sameSite: 'Loose' } }, undefined, 'spec.oidc.cookieConfig.sameSite: "Loose"'],
        [{ csrfTokenTTL: 'soon' }, undefined, 'spec.oidc.csrfTokenTTL: "soon" is not a duration'],
        [{ forwardIDToken: { header: 'Host' } }, undefined, 'spec.oidc.forwardIDToken.header: "Host"'],
        [{ forwardIDToken: { header: 'x id' } }, undefined, 'spec.oidc.forwardIDToken.header: "x id"'],
        [
          { provider: { ...provider, endSessionEndpoint: 'idp/logout' } },
          undefined,
          'spec.oidc.provider.endSessionEndpoint: "idp/logout" is not an http(s) URL',
        ],
        [
          { passThroughAuthHeader: true },
          cookiesOnly,
          'spec.oidc.passThroughAuthHeader: no JWT provider of this policy reads a header',
        ],
        [
          { passThroughAuthHeader: true, forwardIDToken: { header: 'authorization' } },
          { providers: [{ name: 'a', remoteJWKS: jwks }] },
          'spec.oidc.forwardIDToken.header: "authorization" is a header a JWT provider reads',
        ],
      ];
      for (const [fields, jwt, message] of cases) {
        const verdict = evaluate({ ...base, ...fields }, undefined, jwt);
        expect(verdict.ok ? '' : verdict.message, message).toContain(message);
        expect(verdict.ok ? false : verdict.failClosed).toBe(true);
      }
    });
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

    it("the end session endpoint: the policy's, else the document's", () => {
      const withLogout = documentOf({
        ok: true,
        document: {
          authorizationEndpoint: 'https://login.example.com/oauth/authorize',
          tokenEndpoint: 'https://login.example.com/oauth/token',
          endSessionEndpoint: 'https://login.example.com/oauth/logout',
        },
      });
      const fromDocument = evaluate({ ...base, provider: { issuer: provider.issuer } }, withLogout);
      expect(fromDocument.ok && fromDocument.ir.oidc?.endSessionEndpoint).toBe(
        'https://login.example.com/oauth/logout',
      );
      const given = evaluate(
        { ...base, provider: { issuer: provider.issuer, endSessionEndpoint: 'https://idp.example.com/bye' } },
        withLogout,
      );
      expect(given.ok && given.ir.oidc?.endSessionEndpoint).toBe('https://idp.example.com/bye');
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
