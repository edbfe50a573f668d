// The ordered HTTP filter registry (see registry.ts): policy filters in the order Envoy runs them (Envoy
// Gateway's order) — response overrides first (on the way out they see every response, the filters' own
// included), fault injection, CORS (preflights are answered before any authentication), then external
// authorization, API keys, basic auth, OpenID Connect (oauth2), JWT, external processors, authorization (it reads JWT claims), the rate
// limits (they may select on headers the filters before them set, such as JWT claims and the AI Gateway's
// model), and the credentials HTTPRouteFilters inject for the backend last, once the client's own are checked;
// then the stateful session (route rules' sessionPersistence), which picks the endpoint. The router closes every
// chain.
import { apiKeyAuthFilter } from './api-key-auth.ts';
import { basicAuthFilter } from './basic-auth.ts';
import { corsFilter } from './cors.ts';
import { credentialInjectorFilter } from './credential-injector.ts';
import { customResponseFilter } from './custom-response.ts';
import { extAuthzFilter } from './ext-authz.ts';
import { extProcFilter } from './ext-proc.ts';
import { faultFilter } from './fault.ts';
import { jwtFilter } from './jwt.ts';
import { localRateLimitFilter } from './local-ratelimit.ts';
import { oauth2Filter } from './oauth2.ts';
import { rateLimitFilter } from './ratelimit.ts';
import { rbacFilter } from './rbac.ts';
import type { HttpFilter } from './registry.ts';
import { sessionPersistenceFilter } from './session-persistence.ts';

export type { FilterContext, HttpFilter, RateLimitServiceOptions, ServedRule } from './registry.ts';
export { servedRules } from './registry.ts';

/** Filters before the chain's own extensions (the AI Gateway's ext_proc) run … */
export const AUTHENTICATION_FILTERS: readonly HttpFilter[] = [
  customResponseFilter,
  faultFilter,
  corsFilter,
  extAuthzFilter,
  apiKeyAuthFilter,
  basicAuthFilter,
  oauth2Filter,
  jwtFilter,
];

/** … and after them, before the router. */
export const LATE_FILTERS: readonly HttpFilter[] = [
  extProcFilter,
  rbacFilter,
  localRateLimitFilter,
  rateLimitFilter,
  credentialInjectorFilter,
  sessionPersistenceFilter,
];

export const HTTP_FILTERS: readonly HttpFilter[] = [...AUTHENTICATION_FILTERS, ...LATE_FILTERS];
