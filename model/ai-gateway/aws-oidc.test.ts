import { describe, expect, it } from 'vitest';
import { discoveryKey, OidcDiscoveryStore } from '../policies/oidc-discovery.ts';
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
import { credentialsFileOf } from './aws-oidc.ts';
import { aiGatewayDependencies } from './dependencies.ts';
import { evaluateAIGateway } from './evaluate-ai-gateway.ts';

const OIDC = {
  provider: { issuer: 'https://idp.example' },
  clientID: 'c',
  clientSecret: { name: 'idp-client' },
};
const AWS = {
  type: 'AWSCredentials',
  awsCredentials: {
    region: 'eu-west-3',
    oidcExchangeToken: { oidc: OIDC, awsRoleArn: 'arn:aws:iam::1:role/r' },
  },
};

function evaluate(spec: Record<string, unknown>, tokens = new AccessTokenStore()) {
  const store = storeOf('ai-gateway.yaml');
  const objects = [
    {
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'AIServiceBackend',
      metadata: { name: 'bedrock', namespace: 'ai' },
      spec: { schema: { name: 'AWSBedrock' }, backendRef: { name: 'openai', kind: 'Service', port: 8000 } },
    },
    {
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'BackendSecurityPolicy',
      metadata: { name: 'aws', namespace: 'ai' },
      spec: {
        targetRefs: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name: 'bedrock' }],
        ...spec,
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'idp-client', namespace: 'ai' },
      stringData: { 'client-secret': 's' },
    },
    {
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'AIGatewayRoute',
      metadata: { name: 'clouds', namespace: 'ai' },
      spec: {
        parentRefs: [{ name: 'ai-gateway' }],
        rules: [
          {
            matches: [{ headers: [{ name: 'x-ai-eg-model', value: 'claude' }] }],
            backendRefs: [{ name: 'bedrock' }],
          },
        ],
      },
    },
  ] as unknown as AnyResource[];
  for (const object of objects) store.upsert(object);
  const result = evaluateAIGateway(withAccessTokens(store, tokens), { controllerName: CONTROLLER, now: NOW });
  const condition = result.statuses.find(
    (s) => s.key.kind === 'BackendSecurityPolicy' && s.key.name === 'aws',
  )?.status.conditions?.[0];
  const auth = result.config.backends.find((b) => b.name === 'ai/clouds/rule/0/ref/0')?.auth;
  return { condition, auth, store };
}

describe('AWSCredentials oidcExchangeToken: temporary credentials from STS', () => {
  it('what cannot be exchanged is refused by name; written right, it waits for its credentials', () => {
    const aws = (extra: Record<string, unknown>) => ({
      type: 'AWSCredentials',
      awsCredentials: { region: 'eu-west-3', ...extra },
    });
    const message = (spec: Record<string, unknown>) => evaluate(spec).condition?.message;
    expect(message(aws({ oidcExchangeToken: { oidc: OIDC } }))).toBe(
      'spec.awsCredentials.oidcExchangeToken.awsRoleArn: required',
    );
    expect(message(aws({ oidcExchangeToken: { awsRoleArn: 'arn' } }))).toBe(
      'spec.awsCredentials.oidcExchangeToken.oidc: required',
    );
    expect(
      message(
        aws({
          oidcExchangeToken: AWS.awsCredentials.oidcExchangeToken,
          credentialsFile: { secretRef: { name: 'k' } },
        }),
      ),
    ).toBe('spec.awsCredentials: set at most one of credentialsFile and oidcExchangeToken');
    expect(message(aws({}))).toBe(
      'spec.awsCredentials: credentialsFile or oidcExchangeToken required (the default chain is not supported; per-request credentials without fallback need none)',
    );
    const waiting = evaluate(AWS);
    expect(waiting.condition).toMatchObject({
      type: 'NotAccepted',
      reason: 'AccessTokenUnavailable',
      message: 'no access token: the access token has not been fetched yet',
    });
    expect(waiting.auth).toEqual({
      unavailable: 'BackendSecurityPolicy aws: no access token: the access token has not been fetched yet',
    });
  });

  it('the fetched credentials sign with their session token; the fetch reads the OIDC client Secret', () => {
    const tokens = new AccessTokenStore();
    tokens.set('ai', 'aws', {
      fingerprint: tokenFingerprint(AWS),
      ok: true,
      accessToken: credentialsFileOf({ accessKeyId: 'ASIA1', secretAccessKey: 'sk', sessionToken: 'st' }),
      expiresAt: '2030-01-01T00:00:00.000Z',
    });
    const { condition, auth, store } = evaluate(AWS, tokens);
    expect(condition?.type).toBe('Accepted');
    expect(auth).toEqual({
      aws: { region: 'eu-west-3', accessKeyId: 'ASIA1', secretAccessKey: 'sk', sessionToken: 'st' },
    });
    const policy = store.get('BackendSecurityPolicy', 'ai', 'aws')!;
    expect(aiGatewayDependencies(policy).map(formatResourceKey)).toEqual([
      formatResourceKey({ group: '', kind: 'Secret', namespace: 'ai', name: 'idp-client' }),
      formatResourceKey(accessTokenKey('ai', 'aws', AWS)!),
      formatResourceKey(discoveryKey('https://idp.example')),
    ]);
    const discovery = new OidcDiscoveryStore();
    const document = {
      authorizationEndpoint: 'https://idp.example/a',
      tokenEndpoint: 'https://idp.example/t',
    };
    discovery.set('https://idp.example', {
      ok: true,
      document: { ...document, issuer: 'https://idp.example' },
    });
    expect(accessTokenRequest(policy as never, store, discovery)).toEqual({
      grant: 'aws-oidc',
      oidc: {
        issuer: 'https://idp.example',
        tokenEndpoint: 'https://idp.example/t',
        clientID: 'c',
        clientSecret: 's',
        scopes: [],
      },
      roleArn: 'arn:aws:iam::1:role/r',
      sessionName: 'ai-gateway-aws',
      region: 'eu-west-3',
    });
    // Credentials fetched for another role are not used.
    const other = {
      ...AWS,
      awsCredentials: { ...AWS.awsCredentials, oidcExchangeToken: { oidc: OIDC, awsRoleArn: 'arn:other' } },
    };
    expect(evaluate(other, tokens).condition?.reason).toBe('AccessTokenUnavailable');
  });
});
