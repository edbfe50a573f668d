// A minimal OpenID Connect provider for tests, over HTTPS (certificate from createTestCertificates): the
// authorization endpoint answers every request with a redirect to the client's redirect_uri carrying a fresh
// code and the client's state (as a provider does once the user has signed in); the token endpoint exchanges a
// code once, for the registered client (HTTP basic auth) and, when the authorization request had a PKCE
// challenge, only with the matching verifier. Tokens are JWTs signed with jose. Every request is recorded.
// Discovery: `<prefix>/.well-known/openid-configuration` answers, for each prefix served (the root from the
// start; others as the test says), a document naming this server's endpoints under the Host it was asked by;
// any other prefix answers 503. The document names `/endsession` as the end session endpoint (RP-initiated
// logout), which answers 200 and records its query.
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { closerFor } from '../echo/close-server.ts';
import type { TestCertificates } from '../echo/test-certificates.ts';

export interface OidcClient {
  readonly id: string;
  readonly secret: string;
}

export interface OidcProvider {
  readonly port: number;
  /** The authorization requests' query parameters, in order. */
  readonly authorizations: readonly Record<string, string>[];
  /** The token requests: their form parameters and whether the client authenticated. */
  readonly tokenRequests: readonly { readonly form: Record<string, string>; readonly clientOk: boolean }[];
  /** The access tokens issued, in order. */
  readonly accessTokens: readonly string[];
  /** The ID tokens issued, in order. */
  readonly idTokens: readonly string[];
  /** The end session (logout) requests' query parameters, in order. */
  readonly endSessions: readonly Record<string, string>[];
  /** A token signed by this provider (as its access tokens are), for clients that bring their own. */
  sign(claims?: Record<string, unknown>): Promise<string>;
  /** The paths discovery documents were asked at, in order. */
  readonly discoveries: readonly string[];
  /** Serves (or stops serving) a discovery document at `<prefix>/.well-known/openid-configuration`. */
  serveDiscovery(prefix: string, served: boolean): void;
  close(): Promise<void>;
}

export async function startOidcProvider(
  certificates: TestCertificates,
  issuer: string,
  client: OidcClient,
): Promise<OidcProvider> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' };
  const codes = new Map<string, { challenge?: string; redirectUri: string }>();
  const authorizations: Record<string, string>[] = [];
  const tokenRequests: { form: Record<string, string>; clientOk: boolean }[] = [];
  const accessTokens: string[] = [];
  const idTokens: string[] = [];
  const endSessions: Record<string, string>[] = [];
  const discoveries: string[] = [];
  const discoveryPrefixes = new Set(['']);
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT({ sub: 'alice', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid })
      .setIssuer(issuer)
      .setAudience(client.id)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
  const server = createServer({ key: certificates.key, cert: certificates.cert }, (request, response) => {
    const url = new URL(request.url ?? '/', 'https://idp');
    if (request.method === 'GET' && url.pathname === '/authorize') {
      const query = Object.fromEntries(url.searchParams);
      authorizations.push(query);
      if (query.client_id !== client.id || query.response_type !== 'code' || !query.redirect_uri) {
        response.writeHead(400).end('bad authorization request\n');
        return;
      }
      const code = randomBytes(12).toString('hex');
      codes.set(code, {
        redirectUri: query.redirect_uri,
        ...(query.code_challenge === undefined ? {} : { challenge: query.code_challenge }),
      });
      const back = new URL(query.redirect_uri);
      back.searchParams.set('code', code);
      if (query.state !== undefined) back.searchParams.set('state', query.state);
      response.writeHead(302, { location: back.href }).end();
      return;
    }
    const wellKnown = '/.well-known/openid-configuration';
    if (request.method === 'GET' && url.pathname.endsWith(wellKnown)) {
      discoveries.push(url.pathname);
      const prefix = url.pathname.slice(0, -wellKnown.length);
      if (!discoveryPrefixes.has(prefix)) {
        response.writeHead(503).end('not configured yet\n');
        return;
      }
      const origin = `https://${request.headers.host}`;
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          issuer: `${origin}${prefix}`,
          authorization_endpoint: `${origin}/authorize`,
          token_endpoint: `${origin}/token`,
          end_session_endpoint: `${origin}/endsession`,
          jwks_uri: `${origin}/jwks`,
          response_types_supported: ['code'],
        }),
      );
      return;
    }
    if (request.method === 'GET' && url.pathname === '/endsession') {
      endSessions.push(Object.fromEntries(url.searchParams));
      response.writeHead(200, { 'content-type': 'text/plain' }).end('signed out\n');
      return;
    }
    if (request.method === 'GET' && url.pathname === '/jwks') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    if (request.method === 'POST' && url.pathname === '/token') {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        const expected = `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`;
        const clientOk = request.headers.authorization === expected;
        tokenRequests.push({ form, clientOk });
        const grant = form.code === undefined ? undefined : codes.get(form.code);
        if (form.code !== undefined) codes.delete(form.code);
        const verifierOk =
          grant?.challenge === undefined ||
          createHash('sha256')
            .update(form.code_verifier ?? '')
            .digest('base64url') === grant.challenge;
        if (
          !clientOk ||
          form.grant_type !== 'authorization_code' ||
          grant === undefined ||
          grant.redirectUri !== form.redirect_uri ||
          !verifierOk
        ) {
          response
            .writeHead(clientOk ? 400 : 401, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: clientOk ? 'invalid_grant' : 'invalid_client' }));
          return;
        }
        void Promise.all([sign({ scope: 'openid' }), sign({ name: 'Alice' })]).then(([access, id]) => {
          accessTokens.push(access);
          idTokens.push(id);
          response
            .writeHead(200, { 'content-type': 'application/json' })
            .end(
              JSON.stringify({ access_token: access, id_token: id, token_type: 'Bearer', expires_in: 3600 }),
            );
        });
      });
      return;
    }
    response.writeHead(404).end();
  });
  const close = closerFor(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    authorizations,
    tokenRequests,
    accessTokens,
    idTokens,
    endSessions,
    sign: (claims = {}) => sign(claims),
    discoveries,
    serveDiscovery: (prefix, served) => {
      if (served) discoveryPrefixes.add(prefix);
      else discoveryPrefixes.delete(prefix);
    },
    close,
  };
}
