// API key authentication (SecurityPolicy `apiKeyAuth`): Envoy's api_key_auth filter, disabled by default on the
// chain and enabled on a rule's routes with the whole per-route configuration (keys, where to find them, the
// client-id header), so changing keys changes route configuration only. Its messages are newer than the shipped
// protos: protos/envoy-api-additions.ts defines them.
import type { Json } from '../envoy-types.ts';
import { enabledWith, type HttpFilter, typed } from './registry.ts';

const API_KEY_FILTER = 'envoy.filters.http.api_key_auth';
const API_KEY_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuth';
const PER_ROUTE_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuthPerRoute';

export const apiKeyAuthFilter: HttpFilter = {
  name: 'api-key-auth',
  chainFilters(rules) {
    const used = rules.some((served) => served.rule.policies?.security?.apiKeyAuth !== undefined);
    return used ? [{ name: API_KEY_FILTER, disabled: true, typedConfig: typed(API_KEY_TYPE, {}) }] : [];
  },
  routeConfig(served) {
    const apiKey = served.rule.policies?.security?.apiKeyAuth;
    if (apiKey === undefined) return {};
    const keySources: Json[] = apiKey.extractFrom.flatMap((source) => [
      ...source.headers.map((header) => ({ header })),
      ...source.params.map((query) => ({ query })),
      ...source.cookies.map((cookie) => ({ cookie })),
    ]);
    return {
      [API_KEY_FILTER]: enabledWith(
        typed(PER_ROUTE_TYPE, {
          credentials: apiKey.credentials.map((c) => ({ client: c.client, key: c.key })),
          keySources,
          ...(apiKey.forwardClientIDHeader !== undefined || apiKey.sanitize
            ? {
                forwarding: {
                  ...(apiKey.forwardClientIDHeader === undefined
                    ? {}
                    : { header: apiKey.forwardClientIDHeader }),
                  ...(apiKey.sanitize ? { hideCredentials: true } : {}),
                },
              }
            : {}),
        }),
      ),
    };
  },
};
