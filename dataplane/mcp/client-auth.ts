// Client authentication of a route (MCPRoute `securityPolicy.oauth`): every request carries an OAuth bearer
// token, a JWT whose signature (JWKS), issuer, audience and lifetime are checked with `jose`. Anything else is
// answered 401 with the MCP authorization spec's challenge — `WWW-Authenticate: Bearer resource_metadata=…`
// naming the RFC 9728 protected resource metadata, which the proxy serves — so a client can find the
// authorization server. Keys that cannot be fetched fail closed: the request is refused, never let through.
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { protectedResourceFields } from '../../model/mcp/proxy-config.ts';
import type { ClientAuthentication, ProtectedResourceMetadata } from './config.ts';

export type AuthOutcome =
  | { readonly ok: true; readonly subject: string | undefined }
  | { readonly ok: false; readonly challenge: string; readonly reason: string };

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

export class ClientAuthenticator {
  /** Key sets by configuration: a reloaded config with the same JWKS source keeps its cache. */
  readonly #keySets = new Map<string, JWTVerifyGetKey>();

  async authenticate(auth: ClientAuthentication, authorization: string | undefined): Promise<AuthOutcome> {
    const metadataUrl = protectedResourceMetadataUrl(auth.resourceMetadata.resource);
    const scope = auth.resourceMetadata.scopesSupported?.join(' ');
    const challenge = (error?: { code: string; description: string }) =>
      [
        'Bearer',
        [
          ...(error === undefined
            ? []
            : [`error="${error.code}"`, `error_description="${error.description.replace(/["\\]/g, '')}"`]),
          `resource_metadata="${metadataUrl}"`,
          ...(scope === undefined || scope === '' ? [] : [`scope="${scope}"`]),
        ].join(', '),
      ].join(' ');
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization?.trim() ?? '');
    if (match === null) {
      const reason =
        authorization === undefined ? 'no bearer token' : 'the Authorization header is not a bearer token';
      return { ok: false, challenge: challenge(), reason };
    }
    try {
      const { payload } = await jwtVerify(match[1]!, this.#keySet(auth), {
        issuer: auth.issuer,
        ...(auth.audiences.length === 0 ? {} : { audience: [...auth.audiences] }),
      });
      return { ok: true, subject: typeof payload.sub === 'string' ? payload.sub : undefined };
    } catch (error) {
      const reason = `invalid token: ${(error as Error).message}`;
      return { ok: false, challenge: challenge({ code: 'invalid_token', description: reason }), reason };
    }
  }

  #keySet(auth: ClientAuthentication): JWTVerifyGetKey {
    if (auth.jwks.uri === undefined && auth.jwks.keys === undefined) return this.#discovered(auth.issuer);
    const key = auth.jwks.uri ?? JSON.stringify(auth.jwks.keys);
    let keySet = this.#keySets.get(key);
    if (keySet === undefined) {
      keySet =
        auth.jwks.uri !== undefined
          ? createRemoteJWKSet(new URL(auth.jwks.uri))
          : createLocalJWKSet(auth.jwks.keys as unknown as JSONWebKeySet);
      this.#keySets.set(key, keySet);
    }
    return keySet;
  }

  /**
   * Keys named by the issuer's authorization server metadata (RFC 8414, then OpenID Connect discovery): found once,
   * then cached like any remote key set. A metadata document that cannot be read is not cached (the next request
   * tries again) and fails the request.
   */
  #discovered(issuer: string): JWTVerifyGetKey {
    const cached = this.#keySets.get(`issuer ${issuer}`);
    if (cached !== undefined) return cached;
    return async (header, token) => {
      let keySet = this.#keySets.get(`issuer ${issuer}`);
      if (keySet === undefined) {
        keySet = createRemoteJWKSet(new URL(await jwksUriOf(issuer)));
        this.#keySets.set(`issuer ${issuer}`, keySet);
      }
      return keySet(header, token);
    };
  }
}

/** The `jwks_uri` of an issuer's metadata: RFC 8414's well-known path, then OpenID Connect's. */
async function jwksUriOf(issuer: string): Promise<string> {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  const candidates = [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ];
  for (const candidate of candidates) {
    const response = await fetch(candidate, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    if (response?.ok !== true) continue;
    const metadata = (await response.json().catch(() => undefined)) as { jwks_uri?: unknown } | undefined;
    if (typeof metadata?.jwks_uri === 'string') return metadata.jwks_uri;
  }
  throw new Error(`the issuer ${issuer} publishes no jwks_uri (RFC 8414 or OpenID Connect discovery)`);
}

/** RFC 9728 §3.1: the well-known path goes between the resource's host and its path. */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}${WELL_KNOWN}${path}`;
}

/** The path the metadata of a route with this MCP path is served at. */
export function protectedResourceMetadataPath(routePath: string): string {
  return `${WELL_KNOWN}${routePath === '/' ? '' : routePath.replace(/\/$/, '')}`;
}

/** The RFC 9728 document. */
export function protectedResourceMetadata(
  issuer: string,
  metadata: ProtectedResourceMetadata,
): Record<string, unknown> {
  return { ...protectedResourceFields(metadata), authorization_servers: [issuer] };
}
