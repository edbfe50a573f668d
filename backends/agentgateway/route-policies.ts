// HTTPRoute/GRPCRoute filters as agentgateway TrafficPolicySpecs (timeouts and retries: policies/retry-timeout.ts) (one kind each): header
// modifiers, redirects, URL rewrites, request mirrors, CORS. Per-backend filters become BackendPolicySpecs.
import type { BackendIR, RuleIR } from '../../model/ir/gateway-ir.ts';
import type {
  HTTPCORSFilter,
  HTTPHeaderFilter,
  HTTPPathModifier,
  HTTPRequestMirrorFilter,
  HTTPRequestRedirectFilter,
  HTTPRouteFilter,
  HTTPURLRewriteFilter,
} from '../../model/resources/gateway-api.ts';
import {
  headerEdits,
  type ListenerAddress,
  mirrorShare,
  nonEmpty,
  pathEdit,
  redirectTarget,
} from '../shared/route-filters.ts';
import type { BackendSet } from './backends.ts';
import type { Json } from './types.ts';

export interface RulePolicies {
  /** Traffic policies of the rule, in filter order. */
  readonly policies: readonly Json[];
  /** A redirect answers the request itself: the rule has no backends then. */
  readonly redirects: boolean;
}

export function rulePolicies(
  rule: RuleIR,
  listener: ListenerAddress,
  backends: BackendSet,
  owner: string,
): RulePolicies {
  const policies: Json[] = [];
  let redirects = false;
  const mirrors: HTTPRequestMirrorFilter[] = [];
  for (const raw of rule.filters) {
    const filter = (raw ?? {}) as HTTPRouteFilter;
    switch (filter.type) {
      case 'RequestHeaderModifier':
        policies.push({ requestHeaderModifier: headerModifier(filter.requestHeaderModifier) });
        break;
      case 'ResponseHeaderModifier':
        policies.push({ responseHeaderModifier: headerModifier(filter.responseHeaderModifier) });
        break;
      case 'RequestRedirect':
        redirects = true;
        policies.push({ requestRedirect: redirect(filter.requestRedirect ?? {}, listener) });
        break;
      case 'URLRewrite':
        policies.push({ urlRewrite: rewrite(filter.urlRewrite ?? {}) });
        break;
      case 'RequestMirror':
        if (filter.requestMirror !== undefined) mirrors.push(filter.requestMirror);
        break;
      case 'CORS':
        policies.push({ cors: cors(filter.cors ?? {}) });
        break;
    }
  }
  const mirrorList = mirrorPolicies(mirrors, rule.mirrors, backends, owner);
  if (mirrorList.length > 0) policies.push({ requestMirror: { mirrors: mirrorList } });
  return { policies, redirects };
}

/** The appProtocols Envoy speaks HTTP/2 to a backend for (backends/envoy/clusters.ts), as agentgateway must too. */
const HTTP2_APP_PROTOCOLS = new Set(['kubernetes.io/h2c', 'h2c', 'grpc', 'http2', 'h2']);

/**
 * HTTP/2 to a backend a GRPCRoute sends to, or whose appProtocol says it speaks HTTP/2, as Envoy does. Otherwise
 * agentgateway chooses (HTTP/1.1 behind a TLS listener except for gRPC requests; the client's version behind a
 * plain one), where Envoy speaks HTTP/1.1.
 */
export function http2Policies(grpc: boolean, backend: BackendIR): Json[] {
  if (backend.kind === 'Invalid' || backend.kind === 'InferencePool') return [];
  if (!grpc && !HTTP2_APP_PROTOCOLS.has(backend.appProtocol ?? '')) return [];
  return [{ backendHttp: { version: 'HTTP2' } }];
}

/** Per-backend filters of a backendRef (header modifiers) as BackendPolicySpecs. */
export function backendPolicies(backend: BackendIR): Json[] {
  if (backend.kind === 'Invalid') return [];
  const out: Json[] = [];
  for (const raw of backend.filters ?? []) {
    const filter = (raw ?? {}) as HTTPRouteFilter;
    if (filter.type === 'RequestHeaderModifier')
      out.push({ requestHeaderModifier: headerModifier(filter.requestHeaderModifier) });
    if (filter.type === 'ResponseHeaderModifier')
      out.push({ responseHeaderModifier: headerModifier(filter.responseHeaderModifier) });
  }
  return out;
}

function headerModifier(modifier: HTTPHeaderFilter | undefined): Json {
  const { add, set, remove } = headerEdits(modifier);
  return {
    ...(add.length > 0 ? { add: [...add] } : {}),
    ...(set.length > 0 ? { set: [...set] } : {}),
    ...(remove.length > 0 ? { remove: [...remove] } : {}),
  };
}

/** A port absent from the redirect (0 on the wire) is the well-known port of the Location's scheme. */
function redirect(filter: HTTPRequestRedirectFilter, listener: ListenerAddress): Json {
  const target = redirectTarget(filter, listener);
  return {
    ...(target.scheme === undefined ? {} : { scheme: target.scheme }),
    ...(target.hostname === undefined ? {} : { host: target.hostname }),
    ...pathModifier(filter.path),
    ...(target.port === undefined ? {} : { port: target.port }),
    status: target.statusCode,
  };
}

function rewrite(filter: HTTPURLRewriteFilter): Json {
  const hostname = nonEmpty(filter.hostname);
  return {
    ...(hostname === undefined ? {} : { host: hostname }),
    ...pathModifier(filter.path),
  };
}

/** ReplaceFullPath → `full`; ReplacePrefixMatch → `prefix` (agentgateway replaces the matched prefix). */
function pathModifier(path: HTTPPathModifier | undefined): Json {
  const edit = pathEdit(path);
  if (edit === undefined) return {};
  return edit.type === 'ReplaceFullPath' ? { full: edit.path } : { prefix: edit.replacement };
}

function mirrorPolicies(
  filters: readonly HTTPRequestMirrorFilter[],
  mirrors: readonly BackendIR[],
  backends: BackendSet,
  owner: string,
): Json[] {
  const out: Json[] = [];
  mirrors.forEach((backend, i) => {
    if (backend.kind === 'Invalid') return; // a mirror that cannot be resolved mirrors nothing
    // A mirror names one backend: the Service's first ready endpoint (agentgateway's StaticBackend is one address),
    // or a pool's workload Service (without its picker: a mirror takes no backend policies).
    const target = backends.targets(backend, `${owner}/mirror/${i}`)[0];
    if (target === undefined) return;
    out.push({ backend: target.ref, percentage: mirrorPercentage(filters[i]) });
  });
  return out;
}

function mirrorPercentage(filter: HTTPRequestMirrorFilter | undefined): number {
  const share = mirrorShare(filter);
  if (share === undefined) return 100;
  return 'percent' in share ? share.percent : Math.max(0, (share.numerator / share.denominator) * 100);
}

function cors(filter: HTTPCORSFilter): Json {
  return {
    ...(filter.allowCredentials === true ? { allowCredentials: true } : {}),
    ...(filter.allowHeaders?.length ? { allowHeaders: [...filter.allowHeaders] } : {}),
    ...(filter.allowMethods?.length ? { allowMethods: [...filter.allowMethods] } : {}),
    ...(filter.allowOrigins?.length ? { allowOrigins: [...filter.allowOrigins] } : {}),
    ...(filter.exposeHeaders?.length ? { exposeHeaders: [...filter.exposeHeaders] } : {}),
    ...(typeof filter.maxAge === 'number' ? { maxAge: `${filter.maxAge}s` } : {}),
  };
}
