// SecurityPolicy `jwt` → agentgateway's `jwt` traffic policy (TrafficPolicySpec.JWT): one provider per Envoy
// Gateway provider with its issuer, audiences and JWKS, the mode from `optional`, the token's location from
// `extractFrom`; `claimToHeaders` become request headers set from the claims once the token is verified.
// agentgateway takes JWKS inline only, looks a token's key up by `kid`, checks `iss` against the issuer, and reads
// the token from one place per policy: what falls outside that is named and the rule fails closed.
import type { JwtIR, JwtProviderIR, SecurityIR } from '../../../model/ir/policies.ts';
import type { Json } from '../types.ts';
import { claimPath } from './cel.ts';
import type { FamilyOutput, Unsupported } from './context.ts';

export function jwtPolicy(security: SecurityIR, jwt: JwtIR): FamilyOutput {
  const unsupported: Unsupported[] = [];
  const refuse = (field: string, why: string) =>
    unsupported.push({ policy: security.policy, kind: 'SecurityPolicy', field, why });
  const providers: Json[] = [];
  const locations = new Set<string>();
  let location: Json | undefined;
  const requestHeaders: { name: string; expression: string }[] = [];
  jwt.providers.forEach((provider, i) => {
    const field = `spec.jwt.providers[${i}]`;
    const inline = inlineJwks(provider, `${field}`, refuse);
    if (provider.issuer === undefined || provider.issuer === '')
      refuse(`${field}.issuer`, 'unset (any issuer): agentgateway checks every token against its issuer');
    const where = tokenLocation(provider, field, refuse);
    locations.add(JSON.stringify(where ?? null));
    location = where;
    if (provider.recomputeRoute && provider.claimToHeaders.length > 0)
      refuse(
        `${field}.recomputeRoute`,
        'agentgateway verifies tokens after routing, so headers set from claims cannot choose the route',
      );
    for (const { header, claim } of provider.claimToHeaders)
      requestHeaders.push({ name: header, expression: `string(${claimPath(claim)})` });
    if (inline === undefined) return;
    providers.push({
      issuer: provider.issuer ?? '',
      ...(provider.audiences.length > 0 ? { audiences: [...provider.audiences] } : {}),
      inline,
      // Envoy requires no claim of a token (a token without `exp` is valid); agentgateway requires `exp` unless told.
      jwtValidationOptions: {},
    });
  });
  if (locations.size > 1)
    refuse(
      'spec.jwt.providers[*].extractFrom',
      'providers read tokens from different places; agentgateway reads one',
    );
  if (unsupported.length > 0) return { unsupported };
  return {
    traffic: [
      {
        jwt: {
          mode: jwt.failOpen ? 'PERMISSIVE' : jwt.optional ? 'OPTIONAL' : 'STRICT',
          providers,
          ...(location === undefined ? {} : { authorizationLocation: location }),
        },
      },
    ],
    requestHeaders,
  };
}

/** The provider's JWKS as JSON text, when agentgateway can take it (local, every key with a `kid`). */
function inlineJwks(
  provider: JwtProviderIR,
  field: string,
  refuse: (field: string, why: string) => void,
): string | undefined {
  if (provider.jwks.kind === 'remote') {
    refuse(`${field}.remoteJWKS`, 'agentgateway takes a JWKS inline over xDS only, never fetched from a URI');
    return undefined;
  }
  const text = provider.jwks.inline;
  let keys: unknown[] = [];
  try {
    const parsed = JSON.parse(text) as { keys?: unknown };
    keys = Array.isArray(parsed.keys) ? parsed.keys : [parsed];
  } catch {
    // A PEM key (not a JWKS) has no `kid` either.
  }
  if (keys.length === 0 || keys.some((k) => typeof (k as { kid?: unknown }).kid !== 'string')) {
    refuse(`${field}.localJWKS`, "a key without `kid`: agentgateway finds a token's key by its kid only");
    return undefined;
  }
  return text;
}

/** `extractFrom` as one AuthorizationLocation (undefined: the Authorization header's Bearer token). */
function tokenLocation(
  provider: JwtProviderIR,
  field: string,
  refuse: (field: string, why: string) => void,
): Json | undefined {
  const from = provider.extractFrom;
  if (from === undefined) return undefined;
  const count = from.headers.length + from.cookies.length + from.params.length;
  if (count !== 1) {
    refuse(`${field}.extractFrom`, `${count} places to read the token from; agentgateway reads one`);
    return undefined;
  }
  const header = from.headers[0];
  if (header !== undefined)
    return {
      header: {
        name: header.name,
        ...(header.valuePrefix === undefined ? {} : { prefix: header.valuePrefix }),
      },
    };
  if (from.cookies[0] !== undefined) return { cookie: { name: from.cookies[0] } };
  return { queryParameter: { name: from.params[0]! } };
}
