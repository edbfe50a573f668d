// Authorization (SecurityPolicy `authorization`): Envoy's RBAC filter with a first-match matcher per route —
// each rule a predicate (methods, path, client CIDRs, headers, JWT claims and scopes, all ANDed) with its
// action, and the default action when none matches. The chain's filter itself enforces nothing; a rule's routes
// carry their policy in per-route config. Denied requests get 403 from Envoy.
import type { AuthorizationIR, AuthorizationRuleIR } from '../../../model/ir/policies.ts';
import { authorizationPathRegex } from '../../../model/policies/security-policy.ts';
import type { Json } from '../envoy-types.ts';
import { JWT_METADATA_NAMESPACE } from './jwt.ts';
import { type HttpFilter, typed } from './registry.ts';

export const RBAC_FILTER = 'envoy.filters.http.rbac';
const RBAC_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';
const RBAC_PER_ROUTE_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute';
const ACTION_TYPE = 'type.googleapis.com/envoy.config.rbac.v3.Action';
const HEADER_INPUT = 'type.googleapis.com/envoy.type.matcher.v3.HttpRequestHeaderMatchInput';
const SOURCE_IP_INPUT =
  'type.googleapis.com/envoy.extensions.matching.common_inputs.network.v3.SourceIPInput';
const IP_MATCHER = 'type.googleapis.com/envoy.extensions.matching.input_matchers.ip.v3.Ip';
// Defined in protos/envoy-api-additions.ts (newer than the shipped protos).
const METADATA_INPUT =
  'type.googleapis.com/envoy.extensions.matching.common_inputs.network.v3.DynamicMetadataInput';
const METADATA_MATCHER = 'type.googleapis.com/envoy.extensions.matching.input_matchers.metadata.v3.Metadata';

export const rbacFilter: HttpFilter = {
  name: 'authorization',
  chainFilters(rules) {
    const used = rules.some((served) => served.rule.policies?.security?.authorization !== undefined);
    return used ? [{ name: RBAC_FILTER, typedConfig: typed(RBAC_TYPE, {}) }] : [];
  },
  routeConfig(served) {
    const authorization = served.rule.policies?.security?.authorization;
    if (authorization === undefined) return {};
    return {
      [RBAC_FILTER]: typed(RBAC_PER_ROUTE_TYPE, { rbac: { matcher: authorizationMatcher(authorization) } }),
    };
  },
};

export function authorizationMatcher(authorization: AuthorizationIR): Json {
  const matchers = authorization.rules.map((rule) => ({
    predicate: rulePredicate(rule),
    onMatch: action(rule.name, rule.action),
  }));
  return {
    ...(matchers.length > 0 ? { matcherList: { matchers } } : {}),
    onNoMatch: action('default', authorization.defaultAction),
  };
}

function action(name: string, verdict: 'Allow' | 'Deny'): Json {
  return {
    action: {
      name,
      typedConfig: typed(ACTION_TYPE, { name, action: verdict === 'Allow' ? 'ALLOW' : 'DENY' }),
    },
  };
}

/** Every part of a rule must match; a rule with no part matches every request. */
function rulePredicate(rule: AuthorizationRuleIR): Json {
  const parts: Json[] = [];
  if (rule.methods.length > 0) parts.push(anyOf(rule.methods.map((m) => headerEquals(':method', m))));
  if (rule.path !== undefined) parts.push(headerRegex(':path', authorizationPathRegex(rule.path)));
  if (rule.clientCIDRs.length > 0) {
    parts.push(
      single(
        { name: 'client_ip', typedConfig: typed(SOURCE_IP_INPUT, {}) },
        {
          customMatch: {
            name: 'ip_matcher',
            typedConfig: typed(IP_MATCHER, {
              statPrefix: 'client_ip',
              cidrRanges: rule.clientCIDRs.map((c) => ({
                addressPrefix: c.address,
                prefixLen: c.prefixLength,
              })),
            }),
          },
        },
      ),
    );
  }
  for (const header of rule.headers)
    parts.push(anyOf(header.values.map((value) => headerEquals(header.name.toLowerCase(), value))));
  if (rule.jwt !== undefined) {
    const { provider } = rule.jwt;
    for (const scope of rule.jwt.scopes) {
      parts.push(
        anyOf(['scope', 'scp'].map((claim) => metadataEquals([provider, claim], scope, 'StringArray'))),
      );
    }
    for (const claim of rule.jwt.claims) {
      const path = [provider, ...claim.name.split('.')];
      parts.push(anyOf(claim.values.map((value) => metadataEquals(path, value, claim.valueType))));
    }
  }
  if (parts.length === 0) return anyRequest();
  return parts.length === 1 ? parts[0]! : { andMatcher: { predicate: parts } };
}

function anyOf(predicates: Json[]): Json {
  return predicates.length === 1 ? predicates[0]! : { orMatcher: { predicate: predicates } };
}

function single(input: Json, match: Json): Json {
  return { singlePredicate: { input, ...match } };
}

function headerInput(name: string): Json {
  return { name: 'header', typedConfig: typed(HEADER_INPUT, { headerName: name }) };
}

function headerEquals(name: string, value: string): Json {
  return single(headerInput(name), { valueMatch: { exact: value } });
}

function headerRegex(name: string, regex: string): Json {
  return single(headerInput(name), { valueMatch: { safeRegex: { regex } } });
}

/** Matches a method header that is always present: the predicate of a rule without conditions. */
function anyRequest(): Json {
  return headerRegex(':method', '.*');
}

function metadataEquals(path: readonly string[], value: string, type: 'String' | 'StringArray'): Json {
  const stringMatch = { stringMatch: { exact: value } };
  return single(
    {
      name: 'jwt_claim',
      typedConfig: typed(METADATA_INPUT, {
        filter: JWT_METADATA_NAMESPACE,
        path: path.map((key) => ({ key })),
      }),
    },
    {
      customMatch: {
        name: 'jwt_claim_matcher',
        typedConfig: typed(METADATA_MATCHER, {
          value: type === 'StringArray' ? { listMatch: { oneOf: stringMatch } } : stringMatch,
        }),
      },
    },
  );
}

/** The `:path` header carries the query too: every path match allows one after the path. */
