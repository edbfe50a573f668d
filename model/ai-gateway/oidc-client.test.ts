import { describe, expect, it } from 'vitest';
import { type OidcDiscoveryEntry, OidcDiscoveryStore } from '../policies/oidc-discovery.ts';
import type { BackendSecurityPolicy } from '../resources/ai-gateway.ts';
import { ResourceStore } from '../shared/resource-view.ts';
import { oidcClient, oidcIssuerOf } from './oidc-client.ts';

const ISSUER = 'https://idp.example/tenant';
const FIELD = 'spec.azureCredentials.oidcExchangeToken';
const POLICY = {
  apiVersion: 'aigateway.envoyproxy.io/v1beta1',
  kind: 'BackendSecurityPolicy',
  metadata: { name: 'p', namespace: 'ai' },
  spec: {},
} as unknown as BackendSecurityPolicy;
const VIEW = new ResourceStore([
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'idp', namespace: 'ai' },
    stringData: { 'client-secret': 's' },
  },
] as never);
const exchange = (provider: Record<string, unknown>, scopes?: string[]) => ({
  oidc: { provider, clientID: 'c', clientSecret: { name: 'idp' }, ...(scopes ? { scopes } : {}) },
});
const DOCUMENT = {
  issuer: ISSUER,
  authorizationEndpoint: `${ISSUER}/authorize`,
  tokenEndpoint: `${ISSUER}/token`,
  scopesSupported: ['openid', 'api://AzureADTokenExchange'],
};

function clientWith(
  entry: OidcDiscoveryEntry | undefined,
  provider: Record<string, unknown>,
  scopes?: string[],
) {
  const discovery = new OidcDiscoveryStore();
  if (entry !== undefined) discovery.set(ISSUER, entry);
  return oidcClient(POLICY, VIEW, discovery, exchange(provider, scopes), FIELD);
}

describe("an oidcExchangeToken's client, completed from its issuer's discovery document", () => {
  it('waits for the document, then takes its token endpoint and adds the scopes it supports', () => {
    expect(clientWith(undefined, { issuer: ISSUER })).toEqual({
      awaiting: `OIDC discovery ${ISSUER}/.well-known/openid-configuration`,
    });
    expect(
      clientWith({ ok: true, document: DOCUMENT }, { issuer: ISSUER }, ['api://AzureADTokenExchange']),
    ).toEqual({
      issuer: ISSUER,
      tokenEndpoint: `${ISSUER}/token`,
      clientID: 'c',
      clientSecret: 's',
      scopes: ['api://AzureADTokenExchange', 'openid'],
    });
    // A token endpoint given wins; the document is still read (and checked), as go-oidc reads it.
    expect(
      clientWith(
        { ok: true, document: DOCUMENT },
        { issuer: ISSUER, tokenEndpoint: 'https://other.example/t' },
      ),
    ).toMatchObject({ tokenEndpoint: 'https://other.example/t' });
  });

  it('fails closed naming the discovery step: a failed fetch, or a document for another issuer', () => {
    expect(
      clientWith(
        { ok: false, error: `fetching ${ISSUER}/.well-known/openid-configuration answered HTTP 404` },
        {
          issuer: ISSUER,
        },
      ),
    ).toEqual({
      error: `OIDC discovery: fetching ${ISSUER}/.well-known/openid-configuration answered HTTP 404`,
    });
    expect(
      clientWith(
        { ok: true, document: { ...DOCUMENT, issuer: 'https://other.example' } },
        { issuer: ISSUER },
      ),
    ).toEqual({
      error: `OIDC discovery: ${ISSUER}/.well-known/openid-configuration: its issuer is "https://other.example", not "${ISSUER}"`,
    });
    const { issuer: _, ...without } = DOCUMENT;
    expect(clientWith({ ok: true, document: without }, { issuer: ISSUER })).toEqual({
      error: `OIDC discovery: ${ISSUER}/.well-known/openid-configuration: its issuer is null, not "${ISSUER}"`,
    });
  });

  it("the issuer a policy's token needs, whichever cloud's exchange names it", () => {
    const oidc = exchange({ issuer: ISSUER });
    expect(
      oidcIssuerOf({ type: 'AzureCredentials', azureCredentials: { oidcExchangeToken: oidc } } as never),
    ).toBe(ISSUER);
    expect(
      oidcIssuerOf({ type: 'AWSCredentials', awsCredentials: { oidcExchangeToken: oidc } } as never),
    ).toBe(ISSUER);
    expect(
      oidcIssuerOf({
        type: 'GCPCredentials',
        gcpCredentials: { workloadIdentityFederationConfig: { oidcExchangeToken: oidc } },
      } as never),
    ).toBe(ISSUER);
    expect(
      oidcIssuerOf({
        type: 'AzureCredentials',
        azureCredentials: { clientSecretRef: { name: 'x' } },
      } as never),
    ).toBe(undefined);
  });
});
