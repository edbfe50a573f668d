// CORS (SecurityPolicy `cors`): the connection manager always has Envoy's CORS filter (HTTPRoute's own CORS
// filter uses it too); a policy gives its rules' routes a CorsPolicy. A rule's own HTTPRoute CORS filter is the
// more specific setting and wins (routes.ts applies route filters after policies).
import { FILTER } from '../envoy-types.ts';
import { corsPolicy } from '../route-filters.ts';
import type { HttpFilter } from './registry.ts';

export const corsFilter: HttpFilter = {
  name: 'cors',
  chainFilters: () => [],
  routeConfig(served) {
    const cors = served.rule.policies?.security?.cors;
    if (cors === undefined) return {};
    return {
      [FILTER.cors]: corsPolicy({
        allowOrigins: [...cors.allowOrigins],
        allowMethods: [...cors.allowMethods],
        allowHeaders: [...cors.allowHeaders],
        exposeHeaders: [...cors.exposeHeaders],
        ...(cors.maxAgeSeconds === undefined ? {} : { maxAge: cors.maxAgeSeconds }),
        ...(cors.allowCredentials ? { allowCredentials: true } : {}),
      }),
    };
  },
};
