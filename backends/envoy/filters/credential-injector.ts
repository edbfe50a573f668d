// Credential injection (an HTTPRouteFilter's `credentialInjection`): Envoy's credential_injector filter with the
// generic credential, one per HTTPRouteFilter, disabled by default on the chain and enabled on the rules that
// name the filter (or, for a backendRef's filter, on that backend's weighted-cluster entry). The credential travels as an SDS generic secret, not in the route configuration. As in Envoy
// Gateway, a request that already has the header keeps its own value unless `overwrite` is set.
import type { CredentialInjectionIR, ExtensionRefFilterIR } from '../../../model/ir/envoy-gateway.ts';
import { formatResourceKey, type ResourceKey } from '../../../model/resources/resource-key.ts';
import { extensionFilters } from '../envoy-gateway-filters.ts';
import { ADS_SOURCE, type Json } from '../envoy-types.ts';
import {
  distinctBy,
  enabled,
  type HttpFilter,
  policyFilterName,
  type ServedRule,
  typed,
} from './registry.ts';

const INJECTOR_FILTER = 'envoy.filters.http.credential_injector';
const INJECTOR_TYPE =
  'type.googleapis.com/envoy.extensions.filters.http.credential_injector.v3.CredentialInjector';
const GENERIC_CREDENTIAL = 'envoy.http.injected_credentials.generic';
const GENERIC_TYPE = 'type.googleapis.com/envoy.extensions.http.injected_credentials.generic.v3.Generic';

interface Injection {
  readonly filter: ResourceKey;
  readonly injection: CredentialInjectionIR;
}

function injectionsOf(filters: readonly unknown[] | undefined): Injection[] {
  return extensionFilters(filters ?? []).flatMap((entry: ExtensionRefFilterIR) => {
    const spec = entry.httpRouteFilter;
    return spec?.credentialInjection === undefined
      ? []
      : [{ filter: spec.filter, injection: spec.credentialInjection }];
  });
}

/** The rule's own injections and those of its backendRefs' HTTPRouteFilters. */
function allInjectionsOf(served: ServedRule): Injection[] {
  return [
    ...injectionsOf(served.rule.filters),
    ...served.rule.backends.flatMap((backend) =>
      backend.kind === 'Invalid' ? [] : injectionsOf(backend.filters),
    ),
  ];
}

/**
 * A backendRef's HTTPRouteFilters enable their injectors on that backend's weighted-cluster entry only (Envoy
 * reads a filter's per-route config from the weighted cluster the request was sent to first).
 */
export function backendCredentialFields(filters: readonly unknown[] | undefined): Json {
  const injections = injectionsOf(filters);
  if (injections.length === 0) return {};
  return {
    typedPerFilterConfig: Object.fromEntries(
      injections.map(({ filter }) => [instanceName(filter), enabled()]),
    ),
  };
}

function instanceName(filter: ResourceKey): string {
  return policyFilterName(INJECTOR_FILTER, filter);
}

function secretName(filter: ResourceKey): string {
  return `credential/${formatResourceKey(filter)}`;
}

export const credentialInjectorFilter: HttpFilter = {
  name: 'credential-injector',
  chainFilters(rules, context) {
    const injections = distinctBy(rules.flatMap(allInjectionsOf), (i) => instanceName(i.filter)).sort(
      (a, b) => (instanceName(a.filter) < instanceName(b.filter) ? -1 : 1),
    );
    return injections.map(({ filter, injection }) => {
      const name = secretName(filter);
      context.secrets.set(name, {
        name,
        genericSecret: { secret: { inlineString: injection.credential } },
      });
      return {
        name: instanceName(filter),
        disabled: true,
        typedConfig: typed(INJECTOR_TYPE, {
          overwrite: injection.overwrite,
          credential: {
            name: GENERIC_CREDENTIAL,
            typedConfig: typed(GENERIC_TYPE, {
              credential: { name, sdsConfig: ADS_SOURCE },
              header: injection.header,
            }),
          },
        }),
      };
    });
  },
  routeConfig(served) {
    const out: Json = {};
    for (const { filter } of injectionsOf(served.rule.filters)) out[instanceName(filter)] = enabled();
    return out;
  },
};
