import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader, exportPKCS8, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceKey, SWITCHYARD_GROUP } from '../model/resources/resource-key.ts';
import { accessTokenPort } from './access-token-port.ts';

interface Seen {
  readonly path: string;
  readonly form: URLSearchParams;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
let answer: { status: number; body: unknown } = { status: 200, body: {} };
/** Answers by path, when set (the OIDC provider's discovery document and token endpoint). */
let byPath: Record<string, { status: number; body: unknown }> = {};

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      seen.push({ path: request.url ?? '', form: new URLSearchParams(body) });
      const out = byPath[(request.url ?? '').split('?')[0]!] ?? answer;
      response.writeHead(out.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const key = resourceKey(SWITCHYARD_GROUP, 'BackendAccessToken', 'ai', 'p#f');

describe('access token exchanges against a token server on loopback', () => {
  it("GCP: a JWT signed with the key file's key, for the cloud-platform scope, exchanged at its token_uri", async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const keyFile = JSON.stringify({
      type: 'service_account',
      client_email: 'gateway@p1.iam.gserviceaccount.com',
      private_key: await exportPKCS8(privateKey),
      private_key_id: 'key-1',
      token_uri: `${base}/token`,
    });
    answer = { status: 200, body: { access_token: 'ya29.fake', expires_in: 3599, token_type: 'Bearer' } };
    const port = accessTokenPort({ nowSeconds: () => 1_800_000_000 });
    const result = await port({ key, request: { grant: 'gcp-service-account', serviceAccountKey: keyFile } });
    expect(result).toEqual({ accessToken: 'ya29.fake', expiresInMs: 3_599_000 });
    const request = seen.at(-1)!;
    expect(request.path).toBe('/token');
    expect(request.form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const assertion = request.form.get('assertion')!;
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'key-1' });
    const { payload } = await jwtVerify(assertion, publicKey, {
      currentDate: new Date(1_800_000_000_000),
      issuer: 'gateway@p1.iam.gserviceaccount.com',
      audience: `${base}/token`,
    });
    expect(payload).toEqual({
      scope: 'https://www.googleapis.com/auth/cloud-platform',
      iss: 'gateway@p1.iam.gserviceaccount.com',
      aud: `${base}/token`,
      iat: 1_800_000_000,
      exp: 1_800_003_600,
    });
  });

  it('Azure: the client credentials grant at the authority host for the Cognitive Services scope', async () => {
    answer = { status: 200, body: { access_token: 'entra', expires_in: 4000, token_type: 'Bearer' } };
    const port = accessTokenPort({ azureAuthorityHost: base });
    const result = await port({
      key,
      request: { grant: 'azure-client-secret', tenantID: 't-1', clientID: 'app', clientSecret: 's3cret' },
    });
    expect(result).toEqual({ accessToken: 'entra', expiresInMs: 4_000_000 });
    const request = seen.at(-1)!;
    expect(request.path).toBe('/t-1/oauth2/v2.0/token');
    expect(Object.fromEntries(request.form)).toEqual({
      grant_type: 'client_credentials',
      client_id: 'app',
      client_secret: 's3cret',
      scope: 'https://cognitiveservices.azure.com/.default',
    });
  });

  it("the token endpoint's refusal, a server that is down and a bad key file come back as errors", async () => {
    answer = {
      status: 401,
      body: { error: 'invalid_client', error_description: 'AADSTS7000215: bad secret' },
    };
    const port = accessTokenPort({ azureAuthorityHost: `${base}/` });
    const azure = { grant: 'azure-client-secret', tenantID: 't', clientID: 'a', clientSecret: 'x' } as const;
    expect(await port({ key, request: azure })).toEqual({
      error: `token endpoint ${base}/t/oauth2/v2.0/token answered HTTP 401 (invalid_client: AADSTS7000215: bad secret)`,
    });
    answer = { status: 200, body: { token_type: 'Bearer' } };
    expect(await port({ key, request: azure })).toEqual({
      error: `token endpoint ${base}/t/oauth2/v2.0/token answered without an access_token`,
    });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const down = accessTokenPort({ azureAuthorityHost: `http://127.0.0.1:${closedPort}` });
    expect(await down({ key, request: azure })).toEqual({
      error: `token endpoint http://127.0.0.1:${closedPort}/t/oauth2/v2.0/token: ECONNREFUSED`,
    });
    const gcp = (serviceAccountKey: string) =>
      port({ key, request: { grant: 'gcp-service-account', serviceAccountKey } });
    expect(await gcp('{')).toEqual({ error: 'the service-account key file is not JSON' });
    expect(await gcp('{"type":"authorized_user"}')).toEqual({
      error: "the key file's type is 'authorized_user', not 'service_account'",
    });
    expect(await gcp('{"type":"service_account","client_email":"a@b","private_key":"not a key"}')).toEqual({
      error: "the service-account key file's private_key is not a PKCS#8 RSA key",
    });
  });

  it('an OIDC token is asked at the token endpoint the control plane read (no discovery here), and Google errors', async () => {
    const issuer = `${base}/idp`;
    const oidc = {
      issuer,
      tokenEndpoint: `${issuer}/token`,
      clientID: 'c',
      clientSecret: 's',
      scopes: ['openid'],
    };
    const federation = {
      key,
      request: {
        grant: 'gcp-workload-identity',
        oidc,
        audience: '//iam.googleapis.com/x',
        serviceAccount: 'sa@p.iam.gserviceaccount.com',
      },
    } as const;
    const port = accessTokenPort({ googleEndpoints: { sts: `${base}/sts/`, iamCredentials: `${base}/iam` } });
    byPath = {
      '/idp/token': { status: 200, body: { access_token: 'oidc' } },
      '/sts/v1/token': { status: 200, body: { access_token: 'sts', expires_in: 3600 } },
    };
    const before = seen.length;
    answer = {
      status: 403,
      body: {
        error: {
          code: 403,
          message: 'Permission iam.serviceAccounts.getAccessToken denied',
          status: 'PERMISSION_DENIED',
        },
      },
    };
    expect(await port(federation)).toEqual({
      error: `IAM Credentials ${base}/iam/v1/projects/-/serviceAccounts/sa@p.iam.gserviceaccount.com:generateAccessToken answered HTTP 403 (PERMISSION_DENIED: Permission iam.serviceAccounts.getAccessToken denied)`,
    });
    expect(seen.slice(before).map((request) => request.path)).toEqual([
      '/idp/token',
      '/sts/v1/token?alt=json&prettyPrint=false',
      '/iam/v1/projects/-/serviceAccounts/sa@p.iam.gserviceaccount.com:generateAccessToken',
    ]);
    expect(seen[before]!.form.get('scope')).toBe('openid');
    byPath = {};
  });
});
