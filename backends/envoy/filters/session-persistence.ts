// Session persistence (a route rule's `sessionPersistence`): Envoy's stateful_session filter, disabled in the
// chain and given each rule's session (a cookie or a header naming the endpoint) per route, as Envoy Gateway
// configures it. Envoy then sends a request carrying a session to the endpoint it names while that endpoint is
// there, and any other request as the cluster's load balancer picks, adding the session to its response.
import type { SessionPersistenceIR } from '../../../model/ir/gateway-ir.ts';
import { protoDuration } from '../duration.ts';
import type { Json } from '../envoy-types.ts';
import { type HttpFilter, type ServedRule, typed } from './registry.ts';

const STATEFUL_SESSION_FILTER = 'envoy.filters.http.stateful_session';
const STATEFUL_SESSION_TYPE =
  'type.googleapis.com/envoy.extensions.filters.http.stateful_session.v3.StatefulSession';
const PER_ROUTE_TYPE =
  'type.googleapis.com/envoy.extensions.filters.http.stateful_session.v3.StatefulSessionPerRoute';
const COOKIE_STATE =
  'type.googleapis.com/envoy.extensions.http.stateful_session.cookie.v3.CookieBasedSessionState';
const HEADER_STATE =
  'type.googleapis.com/envoy.extensions.http.stateful_session.header.v3.HeaderBasedSessionState';

const sessionOf = (served: ServedRule): SessionPersistenceIR | undefined => served.rule.sessionPersistence;

function sessionState(session: SessionPersistenceIR): Json {
  return session.type === 'Cookie'
    ? {
        name: 'envoy.http.stateful_session.cookie',
        typedConfig: typed(COOKIE_STATE, {
          cookie: {
            name: session.name,
            path: session.path,
            ...(session.ttlMs === undefined ? {} : { ttl: protoDuration(session.ttlMs) }),
          },
        }),
      }
    : {
        name: 'envoy.http.stateful_session.header',
        typedConfig: typed(HEADER_STATE, { name: session.name }),
      };
}

export const sessionPersistenceFilter: HttpFilter = {
  name: 'session-persistence',
  chainFilters(rules) {
    // The chain's own config keeps no session: every rule that has one brings its own.
    return rules.some((served) => sessionOf(served) !== undefined)
      ? [{ name: STATEFUL_SESSION_FILTER, disabled: true, typedConfig: typed(STATEFUL_SESSION_TYPE, {}) }]
      : [];
  },
  routeConfig(served) {
    const session = sessionOf(served);
    if (session === undefined) return {};
    return {
      [STATEFUL_SESSION_FILTER]: typed(PER_ROUTE_TYPE, {
        statefulSession: { sessionState: sessionState(session) },
      }),
    };
  },
};
