// Response overrides (BackendTrafficPolicy `responseOverride`): Envoy's custom_response filter, first in the
// chain so it sees every response on its way out — the backend's and the ones Envoy's own filters answer (a 429
// of a rate limit). A rule's routes carry its matcher: the first override whose status codes match replaces the
// response's body, status and headers.
import type { ResponseOverrideIR } from '../../../model/ir/traffic-policies.ts';
import type { Json } from '../envoy-types.ts';
import { type HttpFilter, type ServedRule, typed } from './registry.ts';

const CUSTOM_RESPONSE_FILTER = 'envoy.filters.http.custom_response';
const CUSTOM_RESPONSE_TYPE =
  'type.googleapis.com/envoy.extensions.filters.http.custom_response.v3.CustomResponse';
const STATUS_INPUT = 'type.googleapis.com/envoy.type.matcher.v3.HttpResponseStatusCodeMatchInput';
const LOCAL_RESPONSE_POLICY =
  'type.googleapis.com/envoy.extensions.http.custom_response.local_response_policy.v3.LocalResponsePolicy';

function overridesOf(served: ServedRule): readonly ResponseOverrideIR[] {
  if (served.rule.policies?.denied !== undefined) return [];
  return served.rule.policies?.traffic?.responseOverrides ?? [];
}

export const customResponseFilter: HttpFilter = {
  name: 'custom-response',
  chainFilters(rules) {
    return rules.some((served) => overridesOf(served).length > 0)
      ? [{ name: CUSTOM_RESPONSE_FILTER, typedConfig: typed(CUSTOM_RESPONSE_TYPE, {}) }]
      : [];
  },
  routeConfig(served) {
    const overrides = overridesOf(served);
    if (overrides.length === 0) return {};
    return {
      [CUSTOM_RESPONSE_FILTER]: typed(CUSTOM_RESPONSE_TYPE, {
        customResponseMatcher: {
          matcherList: {
            matchers: overrides.map((override, i) => ({
              predicate: {
                singlePredicate: {
                  input: { name: 'status-code', typedConfig: { '@type': STATUS_INPUT } },
                  // xds matchers require the engine to be named.
                  valueMatch: { safeRegex: { googleRe2: {}, regex: statusRegex(override.statusCodes) } },
                },
              },
              onMatch: { action: { name: `override-${i}`, typedConfig: localResponse(override.response) } },
            })),
          },
        },
      }),
    };
  },
};

function localResponse(response: ResponseOverrideIR['response']): Json {
  const headers = [
    ...(response.contentType === undefined
      ? []
      : [{ name: 'content-type', value: response.contentType, append: false }]),
    ...response.headers,
  ];
  return {
    '@type': LOCAL_RESPONSE_POLICY,
    ...(response.body === undefined ? {} : { body: { inlineString: response.body } }),
    ...(response.statusCode === undefined ? {} : { statusCode: response.statusCode }),
    ...(headers.length === 0
      ? {}
      : {
          responseHeadersToAdd: headers.map((header) => ({
            header: { key: header.name, value: header.value },
            appendAction: header.append ? 'APPEND_IF_EXISTS_OR_ADD' : 'OVERWRITE_IF_EXISTS_OR_ADD',
          })),
        }),
  };
}

/** Status codes and inclusive ranges as one anchored regex: codes grouped by their first two digits. */
export function statusRegex(codes: ResponseOverrideIR['statusCodes']): string {
  const all = new Set<number>();
  for (const code of codes) {
    if ('value' in code) all.add(code.value);
    else for (let status = code.start; status <= code.end; status++) all.add(status);
  }
  const byPrefix = new Map<string, string[]>();
  for (const status of [...all].sort((a, b) => a - b)) {
    const text = String(status);
    const prefix = text.slice(0, -1);
    byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), text.slice(-1)]);
  }
  const parts = [...byPrefix.entries()].map(([prefix, digits]) =>
    digits.length === 1 ? `${prefix}${digits[0]}` : `${prefix}[${digits.join('')}]`,
  );
  return `^(${parts.join('|')})$`;
}
