// Basic authentication (SecurityPolicy `basicAuth`): Envoy's basic_auth filter, disabled by default on the
// chain and enabled on a rule's routes with the policy's htpasswd users. The username header is chain-level in
// Envoy, so there is one filter instance per distinct header (most chains have one).
import type { BasicAuthIR } from '../../../model/ir/policies.ts';
import type { Json } from '../envoy-types.ts';
import { distinctBy, enabledWith, type HttpFilter, type ServedRule, typed } from './registry.ts';

const BASIC_AUTH_FILTER = 'envoy.filters.http.basic_auth';
const BASIC_AUTH_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.basic_auth.v3.BasicAuth';
const PER_ROUTE_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.basic_auth.v3.BasicAuthPerRoute';
// Envoy requires users on the chain's (disabled) filter too; every enabled route replaces them with its own.
// This one's password hash is of no known password (the SHA-1 of nothing a client can send: 64 random bytes
// chosen once and thrown away).
const PLACEHOLDER_USERS = 'switchyard-no-user:{SHA}3Xo7EBBZYSAddGhsbzQtlRzeG6U=\n';

function instanceName(basic: BasicAuthIR): string {
  return basic.forwardUsernameHeader === undefined
    ? BASIC_AUTH_FILTER
    : `${BASIC_AUTH_FILTER}/${basic.forwardUsernameHeader.toLowerCase()}`;
}

function basicOf(served: ServedRule): BasicAuthIR | undefined {
  return served.rule.policies?.security?.basicAuth;
}

export const basicAuthFilter: HttpFilter = {
  name: 'basic-auth',
  chainFilters(rules) {
    const used = distinctBy(
      rules.flatMap((served) => basicOf(served) ?? []),
      instanceName,
    );
    return used
      .sort((a, b) => (instanceName(a) < instanceName(b) ? -1 : 1))
      .map(
        (basic): Json => ({
          name: instanceName(basic),
          disabled: true,
          typedConfig: typed(BASIC_AUTH_TYPE, {
            users: { inlineString: PLACEHOLDER_USERS },
            ...(basic.forwardUsernameHeader === undefined
              ? {}
              : { forwardUsernameHeader: basic.forwardUsernameHeader }),
          }),
        }),
      );
  },
  routeConfig(served) {
    const basic = basicOf(served);
    if (basic === undefined) return {};
    return {
      [instanceName(basic)]: enabledWith(
        typed(PER_ROUTE_TYPE, { users: { inlineString: basic.credentials } }),
      ),
    };
  },
};
