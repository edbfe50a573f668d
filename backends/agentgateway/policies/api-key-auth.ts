// SecurityPolicy `apiKeyAuth` → agentgateway's `apiKeyAuth` traffic policy: every client's key with the client id
// as its metadata, STRICT, read from the one place `extractFrom` names; `forwardClientIDHeader` becomes a request
// header set from the matched client's id. agentgateway reads a key from one header, query parameter or cookie,
// compares the whole value, and always removes it from the request once checked (`sanitize: true`'s behaviour).
import type { ApiKeyAuthIR, SecurityIR } from '../../../model/ir/policies.ts';
import type { Json } from '../types.ts';
import type { FamilyOutput } from './context.ts';

export function apiKeyAuthPolicy(security: SecurityIR, apiKey: ApiKeyAuthIR): FamilyOutput {
  const places = apiKey.extractFrom.flatMap((from) => [
    ...from.headers.map((name) => ({ header: { name } }) as Json),
    ...from.params.map((name) => ({ queryParameter: { name } }) as Json),
    ...from.cookies.map((name) => ({ cookie: { name } }) as Json),
  ]);
  if (places.length !== 1) {
    return {
      unsupported: [
        {
          policy: security.policy,
          kind: 'SecurityPolicy',
          field: 'spec.apiKeyAuth.extractFrom',
          why: `${places.length} places to read the key from; agentgateway reads one`,
        },
      ],
    };
  }
  return {
    traffic: [
      {
        apiKeyAuth: {
          apiKeys: apiKey.credentials.map(({ client, key }) => ({ key, metadata: { client } })),
          mode: 'STRICT',
          authorizationLocation: places[0],
        },
      },
    ],
    requestHeaders:
      apiKey.forwardClientIDHeader === undefined
        ? []
        : [{ name: apiKey.forwardClientIDHeader, expression: 'apiKey.client' }],
  };
}
