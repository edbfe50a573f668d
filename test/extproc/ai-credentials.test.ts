// GCP and Azure credentials end to end: the controller in standalone mode reads a GCPCredentials policy (a
// service-account key file in a Secret) and an AzureCredentials policy (a client secret), exchanges them for access
// tokens at a fake token server on loopback (the key file's own token_uri; Entra ID through AZURE_AUTHORITY_HOST),
// and the ext_proc service, configured by the controller, sends each provider the token the server issued through a
// real Envoy (the Azure client secret read from another namespace under a ReferenceGrant). A policy whose token server is down leaves its backend failing closed: the client gets a 401 naming the
// token endpoint's error, the provider is never called, and the policy says NotAccepted why.
// AzureCredentials with `oidcExchangeToken` the same way: a token from a fake OIDC provider (its discovery document,
// then the client credentials grant with the client secret from a Secret) given to the fake Entra ID as the client
// assertion of a federated credential; one whose OIDC client is refused fails closed naming the provider's answer.
// GCPCredentials with `workloadIdentityFederationConfig`: the same OIDC token exchanged at a fake Google STS, then
// (impersonating a service account) at a fake IAM Credentials, both reached through SWITCHYARD_GCP_STS_ENDPOINT and
// SWITCHYARD_GCP_IAM_CREDENTIALS_ENDPOINT (as Private Service Connect endpoints are configured); Vertex gets the
// token Google issued, and a pool provider STS refuses fails closed naming STS's answer.
// AWSCredentials with `oidcExchangeToken`: the same OIDC token given to a fake AWS STS AssumeRoleWithWebIdentity
// reached through AWS_ENDPOINT_URL_STS (as the AWS SDKs read it); Bedrock gets requests signed (SigV4) with the
// temporary credentials STS issued and their session token in x-amz-security-token; a role STS refuses fails closed.
import { exportPKCS8, generateKeyPair, jwtVerify } from 'jose';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTokenServer, type TokenServer, type TokenServerRequest } from '../harness/auth/token-server.ts';
import { freePort } from '../harness/envoy/index.ts';
import {
  type AiGatewayPlane,
  aiGateway,
  localService,
  rawChat,
  startAiGatewayPlane,
} from './ai-gateway-plane.ts';
import {
  type FakeProvider,
  type ReceivedRequest,
  startFakeAzure,
  startFakeBedrock,
  startFakeVertex,
} from './fake-providers.ts';
import { verifySigV4 } from './sigv4-verifier.ts';

const GCP_TOKEN = 'ya29.issued-by-the-fake-token-server';
const AZURE_TOKEN = 'entra.issued-by-the-fake-token-server';

/** An AIServiceBackend and the BackendSecurityPolicy on it (`credentials`: the policy's spec below its targetRefs). */
const UPSTREAMS = {
  vertex: 'schema: { name: GCPVertexAI }\n  backendRef: { name: vertex, kind: Service, port: 443 }',
  azure:
    'schema: { name: AzureOpenAI, version: 2024-10-21 }\n  backendRef: { name: azure, kind: Service, port: 443 }',
  bedrock: 'schema: { name: AWSBedrock }\n  backendRef: { name: bedrock, kind: Service, port: 443 }',
};

function backendWithPolicy(name: string, provider: keyof typeof UPSTREAMS, credentials: string): string {
  const upstream = UPSTREAMS[provider];
  return `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: { name: ${name}, namespace: ai }
spec:
  ${upstream}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: { name: ${name}, namespace: ai }
spec:
  targetRefs: [{ group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: ${name} }]
${credentials}`;
}

function gcpBackend(name: string, keyFile: string): string {
  return `${backendWithPolicy(
    name,
    'vertex',
    `  type: GCPCredentials
  gcpCredentials:
    projectName: proj-e2e
    region: us-east5
    credentialsFile: { secretRef: { name: ${name}-sa } }
`,
  )}---
apiVersion: v1
kind: Secret
metadata: { name: ${name}-sa, namespace: ai }
stringData:
  service_account.json: ${JSON.stringify(keyFile)}
`;
}

/** The OIDC client of an `oidcExchangeToken` (the fake provider, its client secret in Secret `secret`). */
const oidcClient = (secret: string, scope: string, issuer = 'ISSUER') =>
  `{ provider: { issuer: "${issuer}" }, clientID: gateway-oidc-client, clientSecret: { name: ${secret} }, scopes: [${scope}] }`;

function azureOidcBackend(name: string, clientSecretName: string, issuer = 'ISSUER'): string {
  return backendWithPolicy(
    name,
    'azure',
    `  type: AzureCredentials
  azureCredentials:
    clientID: gateway-app
    tenantID: tenant-oidc
    oidcExchangeToken:
      oidc: ${oidcClient(clientSecretName, 'api://AzureADTokenExchange', issuer)}
`,
  );
}

function gcpFederationBackend(name: string, provider: string, impersonate: boolean): string {
  return backendWithPolicy(
    name,
    'vertex',
    `  type: GCPCredentials
  gcpCredentials:
    projectName: proj-e2e
    region: us-east5
    workloadIdentityFederationConfig:
      projectID: "123456"
      workloadIdentityPoolName: e2e-pool
      workloadIdentityProviderName: ${provider}
      oidcExchangeToken:
        oidc: ${oidcClient('oidc-client', 'openid')}
${impersonate ? '      serviceAccountImpersonation: { serviceAccountName: vertex-caller }\n' : ''}`,
  );
}

function awsOidcBackend(name: string, role: string): string {
  return backendWithPolicy(
    name,
    'bedrock',
    `  type: AWSCredentials
  awsCredentials:
    region: eu-west-3
    oidcExchangeToken:
      oidc: ${oidcClient('oidc-client', 'openid')}
      awsRoleArn: ${role}
`,
  );
}

function manifests(
  gatewayPort: number,
  vertexPort: number,
  azurePort: number,
  bedrockPort: number,
  keyFiles: string[],
  issuer: string,
): string {
  return `${aiGateway(gatewayPort)}---
${localService('vertex', vertexPort)}---
${localService('azure', azurePort)}---
${localService('bedrock', bedrockPort)}---
${gcpBackend('gemini', keyFiles[0]!)}---
${gcpBackend('gemini-down', keyFiles[1]!)}---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: { name: azure, namespace: ai }
spec:
  schema: { name: AzureOpenAI, version: 2024-10-21 }
  backendRef: { name: azure, kind: Service, port: 443 }
---
# The client secret lives in another namespace, which allows the policies of ai to read it.
apiVersion: v1
kind: Secret
metadata: { name: entra, namespace: keys }
stringData: { client-secret: entra-client-secret }
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: ai-policies, namespace: keys }
spec:
  from: [{ group: aigateway.envoyproxy.io, kind: BackendSecurityPolicy, namespace: ai }]
  to: [{ group: "", kind: Secret, name: entra }]
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: { name: entra, namespace: ai }
spec:
  type: AzureCredentials
  targetRefs: [{ group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: azure }]
  azureCredentials:
    clientID: gateway-app
    tenantID: tenant-e2e
    clientSecretRef: { name: entra, namespace: keys }
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: { name: clouds, namespace: ai }
spec:
  parentRefs: [{ name: ai-gateway }]
  rules:
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: gemini }] }]
      backendRefs: [{ name: gemini, modelNameOverride: gemini-2.0-flash }]
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: gemini-down }] }]
      backendRefs: [{ name: gemini-down, modelNameOverride: gemini-2.0-flash }]
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: gpt-azure }] }]
      backendRefs: [{ name: azure, modelNameOverride: gpt-4o-deployment }]
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: gpt-oidc }] }]
      backendRefs: [{ name: azure-oidc, modelNameOverride: gpt-4o-deployment }]
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: gpt-refused }] }]
      backendRefs: [{ name: azure-oidc-refused, modelNameOverride: gpt-4o-deployment }]
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: gpt-undiscovered }] }]
      backendRefs: [{ name: azure-oidc-undiscovered, modelNameOverride: gpt-4o-deployment }]
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: gemini-wif }] }]
      backendRefs: [{ name: gemini-wif, modelNameOverride: gemini-2.0-flash }]
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: gemini-wif-sts }] }]
      backendRefs: [{ name: gemini-wif-sts, modelNameOverride: gemini-2.0-flash }]
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: gemini-wif-refused }] }]
      backendRefs: [{ name: gemini-wif-refused, modelNameOverride: gemini-2.0-flash }]
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: claude-oidc }] }]
      backendRefs: [{ name: bedrock-oidc, modelNameOverride: anthropic.claude-3-haiku }]
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: claude-refused }] }]
      backendRefs: [{ name: bedrock-oidc-refused, modelNameOverride: anthropic.claude-3-haiku }]
---
${awsOidcBackend('bedrock-oidc', GOOD_ROLE)}---
${awsOidcBackend('bedrock-oidc-refused', 'arn:aws:iam::123456789012:role/not-trusted')}---
${gcpFederationBackend('gemini-wif', 'e2e-provider', true)}---
${gcpFederationBackend('gemini-wif-sts', 'e2e-provider', false)}---
${gcpFederationBackend('gemini-wif-refused', 'unknown-provider', false)}---
apiVersion: v1
kind: Secret
metadata: { name: oidc-client, namespace: ai }
stringData: { client-secret: oidc-client-secret }
---
apiVersion: v1
kind: Secret
metadata: { name: oidc-client-wrong, namespace: ai }
stringData: { client-secret: not-the-secret }
---
${azureOidcBackend('azure-oidc', 'oidc-client')}---
${azureOidcBackend('azure-oidc-refused', 'oidc-client-wrong')}---
${azureOidcBackend('azure-oidc-undiscovered', 'oidc-client', 'ISSUER-gone')}`.replaceAll('ISSUER', issuer);
}

let tokenServer: TokenServer;
let gateway: AiGatewayPlane;
let vertex: FakeProvider;
let azure: FakeProvider;
let bedrock: FakeProvider;
let client: OpenAI;
let downPort: number;
let tokenBase: string;
let publicKey: Awaited<ReturnType<typeof generateKeyPair>>['publicKey'];
const authorityBefore = process.env.AZURE_AUTHORITY_HOST;

const OIDC_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.oidc-token-for-the-gateway.signature';
const OIDC_AZURE_TOKEN = 'entra.issued-for-the-oidc-assertion';
let issuer: string;
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

const STS_TOKEN = 'ya29.sts-federated-token';
const IAM_TOKEN = 'ya29.impersonated-vertex-caller';
const STS_PATH = '/google-sts/v1/token?alt=json&prettyPrint=false';
const IAM_PATH =
  '/google-iam/v1/projects/-/serviceAccounts/vertex-caller@proj-e2e.iam.gserviceaccount.com:generateAccessToken';
const audienceOf = (provider: string) =>
  `//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/e2e-pool/providers/${provider}`;
const endpointsBefore = [
  process.env.SWITCHYARD_GCP_STS_ENDPOINT,
  process.env.SWITCHYARD_GCP_IAM_CREDENTIALS_ENDPOINT,
  process.env.AWS_ENDPOINT_URL_STS,
];

const GOOD_ROLE = 'arn:aws:iam::123456789012:role/bedrock-caller';
const AWS_STS_PATH = '/aws-sts/';
const TEMPORARY = {
  id: 'ASIATEMPORARYKEY',
  secret: 'temporary/secret+key',
  session: 'FwoGZXIvYXdzEJr//session&token',
};
const xmlEscape = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** AWS STS AssumeRoleWithWebIdentity's XML answer: the temporary credentials for the trusted role, else AccessDenied. */
function awsStsAnswer(request: TokenServerRequest): { status: number; body: unknown } {
  const { RoleArn, WebIdentityToken, Action } = request.form;
  if (Action !== 'AssumeRoleWithWebIdentity' || WebIdentityToken !== OIDC_TOKEN || RoleArn !== GOOD_ROLE)
    return {
      status: 403,
      body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
    };
  const expiration = new Date(Date.now() + 3_600_000).toISOString();
  return {
    status: 200,
    body: `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>gateway-oidc-client</SubjectFromWebIdentityToken><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/bedrock-caller/${request.form.RoleSessionName}</Arn><AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser><Credentials><SessionToken>${xmlEscape(TEMPORARY.session)}</SessionToken><SecretAccessKey>${xmlEscape(TEMPORARY.secret)}</SecretAccessKey><Expiration>${expiration}</Expiration><AccessKeyId>${TEMPORARY.id}</AccessKeyId></Credentials><Provider>${issuer}</Provider></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
  };
}

/** The fake OIDC provider (under /idp), Entra ID (under /<tenant>), Google's STS and IAM Credentials, on one server. */
function oidcAnswer(request: TokenServerRequest): { status: number; body: unknown } | undefined {
  if (request.method === 'GET' && request.path === '/idp-gone/.well-known/openid-configuration')
    return { status: 404, body: 'no such realm' };
  if (request.method === 'GET' && request.path === '/idp/.well-known/openid-configuration')
    return {
      status: 200,
      body: {
        issuer,
        token_endpoint: `${issuer}/token`,
        authorization_endpoint: `${issuer}/authorize`,
        scopes_supported: ['openid', 'api://AzureADTokenExchange'],
      },
    };
  if (request.method === 'POST' && request.path === '/idp/token')
    return request.headers.authorization === basic('gateway-oidc-client', 'oidc-client-secret')
      ? { status: 200, body: { access_token: OIDC_TOKEN, token_type: 'Bearer', expires_in: 300 } }
      : { status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } };
  if (request.method === 'POST' && request.path === STS_PATH) {
    const exchange = JSON.parse(request.body) as { audience?: string; subjectToken?: string };
    return exchange.subjectToken === OIDC_TOKEN && exchange.audience === audienceOf('e2e-provider')
      ? {
          status: 200,
          body: {
            access_token: STS_TOKEN,
            issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
            token_type: 'Bearer',
            expires_in: 3600,
          },
        }
      : {
          status: 400,
          body: {
            error: 'invalid_target',
            error_description: 'The target service indicated by the "audience" parameters is invalid.',
          },
        };
  }
  if (request.method === 'POST' && request.path === IAM_PATH)
    return request.headers.authorization === `Bearer ${STS_TOKEN}`
      ? {
          status: 200,
          body: { accessToken: IAM_TOKEN, expireTime: new Date(Date.now() + 3_600_000).toISOString() },
        }
      : {
          status: 401,
          body: {
            error: {
              code: 401,
              message: 'Request had invalid authentication credentials.',
              status: 'UNAUTHENTICATED',
            },
          },
        };
  if (request.method === 'POST' && request.path === AWS_STS_PATH) return awsStsAnswer(request);
  if (request.method === 'POST' && request.path === '/tenant-oidc/oauth2/v2.0/token')
    return request.form.client_assertion === OIDC_TOKEN
      ? { status: 200, body: { access_token: OIDC_AZURE_TOKEN, token_type: 'Bearer', expires_in: 3599 } }
      : { status: 401, body: { error: 'invalid_client', error_description: 'AADSTS700211' } };
  return undefined;
}

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  publicKey = pair.publicKey;
  tokenServer = await startTokenServer((request) => {
    const oidc = oidcAnswer(request);
    if (oidc !== undefined) return oidc;
    const form = request.form;
    const token =
      request.path === '/google/token'
        ? GCP_TOKEN
        : request.path === '/tenant-e2e/oauth2/v2.0/token' && form.client_secret === 'entra-client-secret'
          ? AZURE_TOKEN
          : undefined;
    return token === undefined
      ? { status: 401, body: { error: 'invalid_client' } }
      : { status: 200, body: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
  });
  tokenBase = tokenServer.base;
  issuer = `${tokenBase}/idp`;
  downPort = await freePort();
  const keyFile = async (tokenUri: string) =>
    JSON.stringify({
      type: 'service_account',
      project_id: 'proj-e2e',
      private_key_id: 'e2e-key',
      private_key: await exportPKCS8(pair.privateKey),
      client_email: 'gateway@proj-e2e.iam.gserviceaccount.com',
      token_uri: tokenUri,
    });
  const keyFiles = [
    await keyFile(`${tokenBase}/google/token`),
    await keyFile(`http://127.0.0.1:${downPort}/token`),
  ];
  // Entra ID at the fake token server, the way the Azure SDKs are pointed elsewhere.
  process.env.AZURE_AUTHORITY_HOST = `${tokenBase}/`;
  // Google's endpoints at the fake too, as Private Service Connect endpoints are configured.
  process.env.SWITCHYARD_GCP_STS_ENDPOINT = `${tokenBase}/google-sts`;
  process.env.SWITCHYARD_GCP_IAM_CREDENTIALS_ENDPOINT = `${tokenBase}/google-iam/`;
  // AWS STS at the fake too, the way the AWS SDKs are pointed at another endpoint.
  process.env.AWS_ENDPOINT_URL_STS = `${tokenBase}${AWS_STS_PATH}`;
  [vertex, azure, bedrock] = await Promise.all([startFakeVertex(), startFakeAzure(), startFakeBedrock()]);
  gateway = await startAiGatewayPlane({
    name: 'ai-credentials',
    manifests: (port) => manifests(port, vertex.port, azure.port, bedrock.port, keyFiles, issuer),
    rules: 11,
  });
  client = new OpenAI({
    baseURL: `http://127.0.0.1:${gateway.gatewayPort}/v1`,
    apiKey: 'sk-client',
    maxRetries: 0,
  });
}, 90_000);

afterAll(async () => {
  if (authorityBefore === undefined) delete process.env.AZURE_AUTHORITY_HOST;
  else process.env.AZURE_AUTHORITY_HOST = authorityBefore;
  for (const [name, value] of [
    ['SWITCHYARD_GCP_STS_ENDPOINT', endpointsBefore[0]],
    ['SWITCHYARD_GCP_IAM_CREDENTIALS_ENDPOINT', endpointsBefore[1]],
    ['AWS_ENDPOINT_URL_STS', endpointsBefore[2]],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await gateway?.stop();
  await Promise.all([vertex?.close(), azure?.close(), bedrock?.close()]);
  await tokenServer?.close();
});

/** One chat completion for `model` is answered and reaches `provider` exactly once: the request it got. */
async function onlyRequest(provider: FakeProvider, model: string): Promise<ReceivedRequest> {
  const before = provider.received.length;
  const completion = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'Hello?' }],
  });
  expect(completion.choices[0]?.message).toBeDefined();
  expect(provider.received.length).toBe(before + 1);
  return provider.received.at(-1)!;
}

/** One chat completion for `model` reaches Vertex once, for the model's location, with `token` as bearer. */
async function expectVertexGot(model: string, token: string): Promise<void> {
  const seen = await onlyRequest(vertex, model);
  expect(seen.path).toBe(
    '/v1/projects/proj-e2e/locations/us-east5/publishers/google/models/gemini-2.0-flash:generateContent',
  );
  expect(seen.headers.authorization).toBe(`Bearer ${token}`);
}

/** One chat completion for `model` reaches Azure OpenAI once, for its deployment, with `token` as bearer only. */
async function expectAzureGot(model: string, token: string): Promise<void> {
  const seen = await onlyRequest(azure, model);
  expect(seen.path).toBe('/openai/deployments/gpt-4o-deployment/chat/completions?api-version=2024-10-21');
  expect(seen.headers.authorization).toBe(`Bearer ${token}`);
  expect(seen.headers['api-key']).toBeUndefined();
}

/** A chat for `model` fails closed: 401 with a message containing `names`, and `provider` never called. */
async function expectRefusedBefore(provider: FakeProvider, model: string, names: string): Promise<void> {
  const before = provider.received.length;
  const refused = await rawChat(gateway.gatewayPort, model);
  expect(refused.status).toBe(401);
  expect(refused.message).toContain(names);
  expect(provider.received.length).toBe(before);
}

describe('GCP and Azure credentials exchanged for tokens by the controller, through Envoy', () => {
  test('the token server got a JWT signed with the key file for GCP and the client secret for Azure', async () => {
    const google = tokenServer.received.find((request) => request.path === '/google/token')!;
    expect(google.form.grant_type).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const { payload, protectedHeader } = await jwtVerify(google.form.assertion!, publicKey, {
      issuer: 'gateway@proj-e2e.iam.gserviceaccount.com',
      audience: `${tokenBase}/google/token`,
    });
    expect(protectedHeader.kid).toBe('e2e-key');
    expect(payload.scope).toBe('https://www.googleapis.com/auth/cloud-platform');
    const entra = tokenServer.received.find((request) => request.path === '/tenant-e2e/oauth2/v2.0/token')!;
    expect(entra.form).toEqual({
      grant_type: 'client_credentials',
      client_id: 'gateway-app',
      client_secret: 'entra-client-secret',
      scope: 'https://cognitiveservices.azure.com/.default',
    });
    const conditionOf = (kind: 'AIServiceBackend' | 'BackendSecurityPolicy', name: string) =>
      gateway.plane.store.get(kind, 'ai', name)?.status?.conditions?.[0];
    expect(conditionOf('BackendSecurityPolicy', 'gemini')?.type).toBe('Accepted');
    expect(conditionOf('BackendSecurityPolicy', 'entra')?.type).toBe('Accepted');
    expect(conditionOf('AIServiceBackend', 'gemini')?.type).toBe('Accepted');
    expect(conditionOf('BackendSecurityPolicy', 'gemini-down')).toMatchObject({
      type: 'NotAccepted',
      reason: 'AccessTokenUnavailable',
      message: `no access token: token endpoint http://127.0.0.1:${downPort}/token: ECONNREFUSED`,
    });
  });

  test('a GCPVertexAI backend reaches the provider with the token the token server issued', async () => {
    await expectVertexGot('gemini', GCP_TOKEN);
  });

  test('an AzureOpenAI backend with client-secret credentials gets the Entra ID token as a bearer token', async () => {
    await expectAzureGot('gpt-azure', AZURE_TOKEN);
  });

  test('the token server being down: the client gets 401 naming it, and the provider is never called', async () => {
    await expectRefusedBefore(
      vertex,
      'gemini-down',
      `no GCP access token: token endpoint http://127.0.0.1:${downPort}/token: ECONNREFUSED`,
    );
  });
});

const conditionOf = (kind: 'AIServiceBackend' | 'BackendSecurityPolicy', name: string) =>
  gateway.plane.store.get(kind, 'ai', name)?.status?.conditions?.[0];

describe('Azure oidcExchangeToken: an OIDC token exchanged at Entra ID by the controller, through Envoy', () => {
  test('the OIDC provider got the client credentials grant, Entra ID the OIDC token as a client assertion', () => {
    const tokenRequests = (path: string) =>
      tokenServer.received.filter((request) => request.path === path && request.method === 'POST');
    const granted = tokenRequests('/idp/token').filter(
      (request) => request.headers.authorization === basic('gateway-oidc-client', 'oidc-client-secret'),
    );
    // The scopes asked for, then those the provider supports that were not asked for (as Envoy AI Gateway adds
    // them): the Azure policy asks for api://AzureADTokenExchange (the GCP ones for openid, below).
    expect(granted.map((request) => request.form)).toContainEqual({
      grant_type: 'client_credentials',
      scope: 'api://AzureADTokenExchange openid',
    });
    expect(granted[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const entra = tokenRequests('/tenant-oidc/oauth2/v2.0/token');
    expect(entra).toHaveLength(1);
    expect(entra[0]!.form).toEqual({
      grant_type: 'client_credentials',
      client_id: 'gateway-app',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: OIDC_TOKEN,
      scope: 'https://cognitiveservices.azure.com/.default',
    });
    expect(conditionOf('BackendSecurityPolicy', 'azure-oidc')?.type).toBe('Accepted');
    expect(conditionOf('AIServiceBackend', 'azure-oidc')?.type).toBe('Accepted');
    expect(conditionOf('BackendSecurityPolicy', 'azure-oidc-refused')).toMatchObject({
      type: 'NotAccepted',
      reason: 'AccessTokenUnavailable',
      message: `no access token: token endpoint ${issuer}/token answered HTTP 401 (invalid_client: client authentication failed)`,
    });
  });

  test('the Azure OpenAI backend gets the token Entra ID issued as a bearer token', async () => {
    await expectAzureGot('gpt-oidc', OIDC_AZURE_TOKEN);
  });

  test('an OIDC client the provider refuses: the client gets 401 naming the answer, Azure is never called', async () => {
    await expectRefusedBefore(
      azure,
      'gpt-refused',
      `token endpoint ${issuer}/token answered HTTP 401 (invalid_client: client authentication failed)`,
    );
  });

  test('an issuer whose discovery document cannot be read: 401 naming the discovery step, no token asked, Azure never called', async () => {
    const gone = `${issuer}-gone/.well-known/openid-configuration`;
    expect(conditionOf('BackendSecurityPolicy', 'azure-oidc-undiscovered')).toMatchObject({
      type: 'NotAccepted',
      reason: 'AccessTokenUnavailable',
      message: `no access token: OIDC discovery: fetching ${gone} answered HTTP 404 (no such realm)`,
    });
    await expectRefusedBefore(
      azure,
      'gpt-undiscovered',
      `OIDC discovery: fetching ${gone} answered HTTP 404`,
    );
    expect(
      tokenServer.received.filter((request) => request.path.startsWith('/idp-gone/')).map((r) => r.path),
    ).toEqual(['/idp-gone/.well-known/openid-configuration']);
  });
});

describe("OIDC discovery: one read per issuer, by the control plane's discovery actor", () => {
  test('the seven policies of one issuer (Azure, GCP and AWS exchanges) read its discovery document once', () => {
    const discoveries = tokenServer.received.filter((request) =>
      request.path.endsWith('/openid-configuration'),
    );
    expect(discoveries.map((request) => `${request.method} ${request.path}`).sort()).toEqual([
      'GET /idp-gone/.well-known/openid-configuration',
      'GET /idp/.well-known/openid-configuration',
    ]);
    // Every token was asked at the token endpoint the document named: one client credentials grant per policy.
    expect(tokenServer.received.filter((request) => request.path === '/idp/token')).toHaveLength(7);
  });
});

describe('GCP workload identity federation: an OIDC token exchanged at STS (and IAM Credentials), through Envoy', () => {
  test('STS got the token exchange for the pool provider, IAM Credentials the STS token to impersonate', () => {
    const sts = tokenServer.received.filter((request) => request.path === STS_PATH);
    // One per policy: the impersonating one, the direct one, and the one STS refuses.
    expect(sts).toHaveLength(3);
    const exchange = sts.find((request) => request.body.includes('e2e-provider'))!;
    expect(exchange.headers['content-type']).toBe('application/json');
    expect(exchange.headers.authorization).toBeUndefined();
    expect(JSON.parse(exchange.body)).toEqual({
      audience: audienceOf('e2e-provider'),
      grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
      requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
      scope: 'https://www.googleapis.com/auth/iam',
      subjectToken: OIDC_TOKEN,
      subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt',
    });
    expect(
      tokenServer.received.filter((request) => request.path === '/idp/token').map((request) => request.form),
    ).toContainEqual({ grant_type: 'client_credentials', scope: 'openid api://AzureADTokenExchange' });
    const iam = tokenServer.received.filter((request) => request.path === IAM_PATH);
    expect(iam).toHaveLength(1);
    expect(iam[0]!.headers.authorization).toBe(`Bearer ${STS_TOKEN}`);
    expect(JSON.parse(iam[0]!.body)).toEqual({
      lifetime: '3600s',
      scope: ['https://www.googleapis.com/auth/cloud-platform'],
    });
    expect(conditionOf('BackendSecurityPolicy', 'gemini-wif')?.type).toBe('Accepted');
    expect(conditionOf('BackendSecurityPolicy', 'gemini-wif-sts')?.type).toBe('Accepted');
    expect(conditionOf('BackendSecurityPolicy', 'gemini-wif-refused')).toMatchObject({
      type: 'NotAccepted',
      reason: 'AccessTokenUnavailable',
      message: `no access token: STS ${tokenServer.base}${STS_PATH} answered HTTP 400 (invalid_target: The target service indicated by the "audience" parameters is invalid.)`,
    });
  });

  test('Vertex gets the impersonated service account token, or the STS token without impersonation', async () => {
    await expectVertexGot('gemini-wif', IAM_TOKEN);
    await expectVertexGot('gemini-wif-sts', STS_TOKEN);
  });

  test("a pool provider STS refuses: the client gets 401 naming STS's answer, Vertex is never called", async () => {
    await expectRefusedBefore(
      vertex,
      'gemini-wif-refused',
      `no GCP access token: STS ${tokenServer.base}${STS_PATH} answered HTTP 400`,
    );
  });
});

describe('AWS oidcExchangeToken: an OIDC token given to STS AssumeRoleWithWebIdentity, through Envoy', () => {
  test('STS got AssumeRoleWithWebIdentity with the role, the OIDC token and the session name', () => {
    const sts = tokenServer.received.filter((request) => request.path === AWS_STS_PATH);
    // One per policy: the trusted role and the refused one.
    expect(sts).toHaveLength(2);
    const assumed = sts.find((request) => request.form.RoleArn === GOOD_ROLE)!;
    expect(assumed.method).toBe('POST');
    expect(assumed.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(assumed.headers.authorization).toBeUndefined();
    expect(assumed.form).toEqual({
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleArn: GOOD_ROLE,
      RoleSessionName: 'ai-gateway-bedrock-oidc',
      WebIdentityToken: OIDC_TOKEN,
    });
    expect(conditionOf('BackendSecurityPolicy', 'bedrock-oidc')?.type).toBe('Accepted');
    expect(conditionOf('AIServiceBackend', 'bedrock-oidc')?.type).toBe('Accepted');
    expect(conditionOf('BackendSecurityPolicy', 'bedrock-oidc-refused')).toMatchObject({
      type: 'NotAccepted',
      reason: 'AccessTokenUnavailable',
      message: `no access token: STS AssumeRoleWithWebIdentity ${tokenServer.base}${AWS_STS_PATH} answered HTTP 403 (AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity)`,
    });
  });

  test('Bedrock gets a request signed with the temporary credentials and their session token', async () => {
    const seen = await onlyRequest(bedrock, 'claude-oidc');
    expect(seen.path).toBe('/model/anthropic.claude-3-haiku/converse');
    expect(seen.headers['x-amz-security-token']).toBe(TEMPORARY.session);
    expect(seen.headers.authorization).toContain('x-amz-security-token');
    expect(verifySigV4(seen, TEMPORARY.secret)).toEqual({
      accessKeyId: TEMPORARY.id,
      region: 'eu-west-3',
      service: 'bedrock',
    });
  });

  test("a role STS refuses: the client gets 401 naming STS's answer, Bedrock is never called", async () => {
    await expectRefusedBefore(
      bedrock,
      'claude-refused',
      `STS AssumeRoleWithWebIdentity ${tokenServer.base}${AWS_STS_PATH} answered HTTP 403 (AccessDenied`,
    );
  });
});
