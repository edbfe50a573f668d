// Envoy Gateway HTTPRouteFilters (ExtensionRef) on agentgateway. A direct response becomes agentgateway's
// `directResponse` (status, body) with its headers in the rule's `responseHeaderModifier`, which agentgateway also
// applies to the responses it answers itself (upstream `ResponsePolicies::apply` on a DirectResponse); a credential
// that replaces the request's own goes into the rule's `requestHeaderModifier`. agentgateway keeps one policy of a
// kind per route (a later one replaces an earlier), so these are merged into the rule's own header modifiers. What
// has no agentgateway field — a regex path rewrite, Host rewrites, a credential the request's own must win over,
// any HTTPRouteFilter on a backendRef — is named, and the rule answers 500 (routes.ts). A filter the model could
// not resolve answers 500, as on Envoy.
import type { ExtensionRefFilterIR, HTTPRouteFilterIR } from '../../model/ir/envoy-gateway.ts';
import type { RouteIR, RuleIR } from '../../model/ir/gateway-ir.ts';
import type { Json } from './types.ts';

export type ExtensionFilterPolicies =
  /** A filter the model could not resolve (its status says why): the rule answers 500, as on Envoy. */
  | { readonly unresolved: true }
  /** What agentgateway cannot express, each naming the filter and its field. */
  | { readonly unsupported: readonly string[] }
  /** The rule's traffic policies with the filters' header edits merged in, and the direct response if any. */
  | { readonly policies: readonly Json[]; readonly directResponse?: Json };

interface Header {
  readonly name: string;
  readonly value: string;
}

export function extensionFilterPolicies(
  route: RouteIR,
  rule: RuleIR,
  policies: readonly Json[],
): ExtensionFilterPolicies {
  const filters = rule.filters.flatMap((raw, i) => {
    const filter = raw as ExtensionRefFilterIR | null;
    return filter?.type === 'ExtensionRef' ? [{ filter, index: i }] : [];
  });
  const onBackends = rule.backends.flatMap((backend, b) =>
    backend.kind === 'Invalid'
      ? []
      : (backend.filters ?? []).flatMap((raw, i) => {
          const filter = raw as ExtensionRefFilterIR | null;
          return filter?.type === 'ExtensionRef' ? [{ filter, at: `backendRefs[${b}].filters[${i}]` }] : [];
        }),
  );
  if (filters.length === 0 && onBackends.length === 0) return { policies };
  if (
    [...filters, ...onBackends].some(
      ({ filter }) => filter.problem !== undefined || filter.httpRouteFilter === undefined,
    )
  )
    return { unresolved: true };
  const unsupported: string[] = onBackends.map(
    ({ filter, at }) =>
      `spec.rules[${rule.index}].${at}.extensionRef: ${filter.extensionRef.kind} ${route.route.namespace ?? ''}/${filter.extensionRef.name} on a backendRef: agentgateway has no per-backend credential injection`,
  );
  const credentials: Header[] = [];
  let direct: NonNullable<HTTPRouteFilterIR['directResponse']> | undefined;
  for (const { filter, index } of filters) {
    const spec = filter.httpRouteFilter!;
    const field = (what: string) =>
      `spec.rules[${rule.index}].filters[${index}].extensionRef: ${filter.extensionRef.kind} ${route.route.namespace ?? ''}/${filter.extensionRef.name} ${what}`;
    if (spec.pathRegexRewrite !== undefined)
      unsupported.push(
        field(
          'spec.urlRewrite.path (ReplaceRegexMatch): agentgateway rewrites a path by prefix or whole only',
        ),
      );
    if (spec.hostRewrite !== undefined)
      unsupported.push(field("spec.urlRewrite.hostname: agentgateway's URL rewrite sets a fixed host only"));
    const injection = spec.credentialInjection;
    if (injection !== undefined) {
      if (injection.overwrite) credentials.push({ name: injection.header, value: injection.credential });
      else
        unsupported.push(
          field(
            "spec.credentialInjection.overwrite false: agentgateway's header modifier cannot keep a value the request already has",
          ),
        );
    }
    // The first direct response answers, as on Envoy.
    direct ??= spec.directResponse;
  }
  if (unsupported.length > 0) return { unsupported };
  const merged = withHeaders(
    withHeaders(policies, 'requestHeaderModifier', { set: credentials, add: [] }, 'before'),
    'responseHeaderModifier',
    direct?.headers ?? { set: [], add: [] },
    'after',
  );
  if (direct === undefined) return { policies: merged };
  return {
    policies: merged,
    directResponse: {
      directResponse: {
        status: direct.status,
        ...(direct.body === undefined ? {} : { body: Buffer.from(direct.body).toString('base64') }),
      },
    },
  };
}

/**
 * The policies with `edits` merged into their modifier of `kind` (or a new one). A credential goes `before` the
 * rule's own edits, so its RequestHeaderModifier filter acts after it as on Envoy (the credential injector runs
 * before the router applies the route's header edits); a direct response's headers go `after` the rule's.
 */
function withHeaders(
  policies: readonly Json[],
  kind: 'requestHeaderModifier' | 'responseHeaderModifier',
  edits: { readonly set: readonly Header[]; readonly add: readonly Header[] },
  where: 'before' | 'after',
): readonly Json[] {
  if (edits.set.length === 0 && edits.add.length === 0) return policies;
  const at = policies.findIndex((p) => p[kind] !== undefined);
  const own = (at === -1 ? {} : policies[at]![kind]) as { set?: Header[]; add?: Header[]; remove?: string[] };
  const join = (mine: readonly Header[] = [], theirs: readonly Header[]) =>
    where === 'before' ? [...theirs, ...mine] : [...mine, ...theirs];
  const set = join(own.set, edits.set);
  const add = join(own.add, edits.add);
  const modifier = {
    ...(add.length > 0 ? { add } : {}),
    ...(set.length > 0 ? { set } : {}),
    ...(own.remove === undefined ? {} : { remove: own.remove }),
  };
  return at === -1
    ? [...policies, { [kind]: modifier }]
    : policies.map((p, i) => (i === at ? { [kind]: modifier } : p));
}
