import { describe, expect, it } from 'vitest';
import { OidcDiscoveryStore } from '../policies/oidc-discovery.ts';
import type { AnyResource } from '../resources/kinds.ts';
import { formatResourceKey } from '../resources/resource-key.ts';
import { CONTROLLER, NOW, storeOf } from '../testdata/fixtures.ts';
import {
  AccessTokenStore,
  accessTokenKey,
  accessTokenRequest,
  tokenFingerprint,
  withAccessTokens,
} from './access-tokens.ts';
import { aiGatewayDependencies } from './dependencies.ts';
import { evaluateAIGateway } from './evaluate-ai-gateway.ts';

const TARGET = { group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend' };

function objects(gcpSpec: Record<string, unknown>, azureSpec: Record<string, unknown>): AnyResource[] {
  const backend = (name: string, schema: string) => ({
    apiVersion: 'aigateway.envoyproxy.io/v1beta1',
    kind: 'AIServiceBackend',
    metadata: { name, namespace: 'ai' },
    spec: { schema: { name: schema }, backendRef: { name: 'openai', kind: 'Service', port: 8000 } },
  });
  const policy = (name: string, spec: Record<string, unknown>, target: string) => ({
    apiVersion: 'aigateway.envoyproxy.io/v1beta1',
    kind: 'BackendSecurityPolicy',
    metadata: { name, namespace: 'ai' },
    spec: { targetRefs: [{ ...TARGET, name: target }], ...spec },
  });
  const secret = (name: string, data: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'ai' },
    stringData: data,
  });
  return [
    backend('vertex', 'GCPVertexAI'),
    backend('azure', 'AzureOpenAI'),
    policy('gcp', gcpSpec, 'vertex'),
    policy('entra', azureSpec, 'azure'),
    secret('sa-key', { 'service_account.json': '{"type":"service_account"}' }),
    secret('entra-secret', { 'client-secret': 's3cret' }),
    {
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'AIGatewayRoute',
      metadata: { name: 'clouds', namespace: 'ai' },
      spec: {
        parentRefs: [{ name: 'ai-gateway' }],
        rules: ['vertex', 'azure'].map((name) => ({
          matches: [{ headers: [{ name: 'x-ai-eg-model', value: `${name}-model` }] }],
          backendRefs: [{ name }],
        })),
      },
    },
  ] as unknown as AnyResource[];
}

const GCP = {
  type: 'GCPCredentials',
  gcpCredentials: {
    projectName: 'p1',
    region: 'us-east5',
    credentialsFile: { secretRef: { name: 'sa-key' } },
  },
};
const AZURE = {
  type: 'AzureCredentials',
  azureCredentials: { clientID: 'app', tenantID: 'tenant', clientSecretRef: { name: 'entra-secret' } },
};

function evaluate(tokens: AccessTokenStore, gcp = GCP, azure = AZURE) {
  const store = storeOf('ai-gateway.yaml');
  for (const object of objects(gcp, azure)) store.upsert(object);
  const result = evaluateAIGateway(withAccessTokens(store, tokens), { controllerName: CONTROLLER, now: NOW });
  const condition = (kind: string, name: string) =>
    result.statuses.find((s) => s.key.kind === kind && s.key.name === name)?.status.conditions?.[0];
  const auth = (rule: number) =>
    result.config.backends.find((b) => b.name === `ai/clouds/rule/${rule}/ref/0`)?.auth;
  return { result, condition, auth, store };
}

describe('GCP and Azure credentials exchanged for access tokens', () => {
  it('before a token is fetched: NotAccepted, and the backends refuse requests (GCP keeping its location)', () => {
    const { condition, auth } = evaluate(new AccessTokenStore());
    expect(condition('BackendSecurityPolicy', 'gcp')).toMatchObject({
      type: 'NotAccepted',
      reason: 'AccessTokenUnavailable',
      message: 'no access token: the access token has not been fetched yet',
    });
    expect(auth(0)).toEqual({
      unavailable: 'no GCP access token: the access token has not been fetched yet',
      gcp: { projectName: 'p1', region: 'us-east5' },
    });
    expect(auth(1)).toEqual({
      unavailable: 'BackendSecurityPolicy entra: no access token: the access token has not been fetched yet',
    });
  });

  it('a fetched token becomes the bearer credential; a failed fetch is said with the endpoint error', () => {
    const tokens = new AccessTokenStore();
    tokens.set('ai', 'gcp', {
      fingerprint: tokenFingerprint(GCP),
      ok: true,
      accessToken: 'ya29.token',
      expiresAt: '2030-01-01T00:00:00.000Z',
    });
    tokens.set('ai', 'entra', {
      fingerprint: tokenFingerprint(AZURE),
      ok: false,
      error: 'token endpoint http://127.0.0.1:1/tenant/oauth2/v2.0/token answered HTTP 401 (invalid_client)',
    });
    const { condition, auth } = evaluate(tokens);
    expect(condition('BackendSecurityPolicy', 'gcp')?.type).toBe('Accepted');
    expect(condition('AIServiceBackend', 'vertex')?.type).toBe('Accepted');
    expect(auth(0)).toEqual({ gcp: { projectName: 'p1', region: 'us-east5', accessToken: 'ya29.token' } });
    expect(condition('BackendSecurityPolicy', 'entra')).toMatchObject({
      type: 'NotAccepted',
      reason: 'AccessTokenUnavailable',
      message:
        'no access token: token endpoint http://127.0.0.1:1/tenant/oauth2/v2.0/token answered HTTP 401 (invalid_client)',
    });
    expect(condition('AIServiceBackend', 'azure')?.type).toBe('NotAccepted');

    tokens.set('ai', 'entra', {
      fingerprint: tokenFingerprint(AZURE),
      ok: true,
      accessToken: 'entra-token',
      expiresAt: '2030-01-01T00:00:00.000Z',
    });
    expect(evaluate(tokens).auth(1)).toEqual({ apiKey: { key: 'entra-token' } });
    // A token fetched for other credentials is not used.
    const otherTenant = { ...AZURE, azureCredentials: { ...AZURE.azureCredentials, tenantID: 'other' } };
    expect(evaluate(tokens, GCP, otherTenant).auth(1)).toEqual({
      unavailable: 'BackendSecurityPolicy entra: no access token: the access token has not been fetched yet',
    });
  });

  it('what cannot be exchanged is refused by name', () => {
    const gcp = (extra: Record<string, unknown>) => ({
      type: 'GCPCredentials',
      gcpCredentials: { projectName: 'p1', region: 'r', ...extra },
    });
    const message = (spec: Record<string, unknown>, name = 'gcp') =>
      evaluate(
        new AccessTokenStore(),
        name === 'gcp' ? (spec as typeof GCP) : GCP,
        name === 'entra' ? (spec as typeof AZURE) : AZURE,
      ).condition('BackendSecurityPolicy', name)?.message;
    expect(message(gcp({ workloadIdentityFederationConfig: { projectID: 'x' } }))).toBe(
      'spec.gcpCredentials.workloadIdentityFederationConfig.workloadIdentityPoolName: required',
    );
    const federation = {
      projectID: 'x',
      workloadIdentityPoolName: 'pool',
      workloadIdentityProviderName: 'provider',
      oidcExchangeToken: {
        oidc: { provider: { issuer: 'https://idp.example' }, clientID: 'c', clientSecret: { name: 's' } },
      },
    };
    expect(
      message(gcp({ workloadIdentityFederationConfig: { ...federation, serviceAccountImpersonation: {} } })),
    ).toBe(
      'spec.gcpCredentials.workloadIdentityFederationConfig.serviceAccountImpersonation.serviceAccountName: required',
    );
    expect(
      message(gcp({ workloadIdentityFederationConfig: { ...federation, oidcExchangeToken: { oidc: {} } } })),
    ).toBe(
      'spec.gcpCredentials.workloadIdentityFederationConfig.oidcExchangeToken.oidc.provider.issuer: required, an http(s) URL',
    );
    expect(
      message(
        gcp({ workloadIdentityFederationConfig: federation, credentialsFile: { secretRef: { name: 'k' } } }),
      ),
    ).toBe('spec.gcpCredentials: set exactly one of credentialsFile and workloadIdentityFederationConfig');
    // Written right, it waits for its token like a key file.
    expect(message(gcp({ workloadIdentityFederationConfig: federation }))).toBe(
      'no access token: the access token has not been fetched yet',
    );
    expect(message(gcp({}))).toBe(
      'spec.gcpCredentials: credentialsFile or workloadIdentityFederationConfig required (Application Default Credentials are not supported)',
    );
    expect(message(gcp({ isPassthrough: true }))).toContain(
      'spec.gcpCredentials.isPassthrough: not supported',
    );
    expect(message({ type: 'GCPCredentials', gcpCredentials: { region: 'r' } })).toBe(
      'spec.gcpCredentials.projectName: required',
    );
    const azure = (extra: Record<string, unknown>) => ({
      type: 'AzureCredentials',
      azureCredentials: { clientID: 'a', tenantID: 't', ...extra },
    });
    expect(message(azure({ oidcExchangeToken: {} }), 'entra')).toBe(
      'spec.azureCredentials.oidcExchangeToken.oidc: required',
    );
    const oidc = { provider: { issuer: 'https://idp.example' }, clientID: 'c', clientSecret: { name: 's' } };
    expect(message(azure({ oidcExchangeToken: { oidc }, clientSecretRef: { name: 's' } }), 'entra')).toBe(
      'spec.azureCredentials: set exactly one of clientSecretRef and oidcExchangeToken',
    );
    expect(message(azure({}), 'entra')).toBe(
      'spec.azureCredentials: set exactly one of clientSecretRef and oidcExchangeToken',
    );
    expect(
      message(azure({ oidcExchangeToken: { oidc: { ...oidc, provider: { issuer: 'idp' } } } }), 'entra'),
    ).toBe('spec.azureCredentials.oidcExchangeToken.oidc.provider.issuer: required, an http(s) URL');
    expect(message(azure({ oidcExchangeToken: { oidc: { ...oidc, clientID: '' } } }), 'entra')).toBe(
      'spec.azureCredentials.oidcExchangeToken.oidc.clientID: required',
    );
    // Written right, it waits for its token like a client secret.
    expect(message(azure({ oidcExchangeToken: { oidc } }), 'entra')).toBe(
      'no access token: the access token has not been fetched yet',
    );
  });

  it('a policy depends on its Secret and on a token for exactly its credentials; the request reads the Secret', () => {
    const policy = objects(GCP, AZURE)[3]!;
    const keys = aiGatewayDependencies(policy).map(formatResourceKey);
    expect(keys).toEqual([
      formatResourceKey({ group: '', kind: 'Secret', namespace: 'ai', name: 'entra-secret' }),
      formatResourceKey(accessTokenKey('ai', 'entra', AZURE)!),
    ]);
    expect(accessTokenKey('ai', 'entra', AZURE)?.name).not.toBe(
      accessTokenKey('ai', 'entra', {
        ...AZURE,
        azureCredentials: { ...AZURE.azureCredentials, clientID: 'b' },
      })?.name,
    );
    const { store } = evaluate(new AccessTokenStore());
    const read = (name: string) =>
      accessTokenRequest(
        store.get('BackendSecurityPolicy', 'ai', name) as never,
        store,
        new OidcDiscoveryStore(),
      );
    expect(read('entra')).toEqual({
      grant: 'azure-client-secret',
      tenantID: 'tenant',
      clientID: 'app',
      clientSecret: 's3cret',
    });
    expect(read('gcp')).toEqual({
      grant: 'gcp-service-account',
      serviceAccountKey: '{"type":"service_account"}',
    });
    store.delete({ kind: 'Secret', namespace: 'ai', name: 'sa-key' });
    expect(read('gcp')).toEqual({
      error: 'spec.gcpCredentials.credentialsFile.secretRef: Secret ai/sa-key not found',
    });
  });
});
