// SecurityPolicy `extAuth` → agentgateway's `extAuthz` traffic policy, speaking Envoy's ext_authz protocol to the
// service: gRPC with the context extensions, or HTTP with the path prefix (a CEL expression prepended to the
// request path) and the authorization response headers copied to the backend; the client headers sent, the body
// (up to maxRequestBytes), fail open (ALLOW) or the status on error (DENY_WITH_STATUS). agentgateway has no
// per-call timeout for the service nor re-routing after it: a recomputeRoute is named, a timeout is left to the
// service's own.
import type { ExtAuthIR, SecurityIR } from '../../../model/ir/policies.ts';
import { celString } from './cel.ts';
import { destinationRef, type FamilyOutput, type PolicyContext } from './context.ts';

export function extAuthzPolicy(
  security: SecurityIR,
  extAuth: ExtAuthIR,
  context: PolicyContext,
): FamilyOutput {
  const refuse = (field: string, why: string): FamilyOutput => ({
    unsupported: [{ policy: security.policy, kind: 'SecurityPolicy', field, why }],
  });
  if (extAuth.recomputeRoute)
    return refuse(
      'spec.extAuth.recomputeRoute',
      'agentgateway authorizes after routing and does not route again',
    );
  const target = destinationRef(extAuth.destination, context, 'ext-authz');
  if (target === undefined)
    return refuse(
      extAuth.protocol === 'GRPC' ? 'spec.extAuth.grpc.backendRefs' : 'spec.extAuth.http.backendRefs',
      'no reachable endpoint of the authorization service',
    );
  const protocol =
    extAuth.protocol === 'GRPC'
      ? {
          grpc: {
            context: Object.fromEntries(extAuth.contextExtensions.map((e) => [e.name, e.value])),
          },
        }
      : {
          http: {
            ...(extAuth.path === undefined ? {} : { path: `${celString(extAuth.path)} + request.path` }),
            ...(extAuth.headersToBackend.length > 0
              ? { includeResponseHeaders: extAuth.headersToBackend.map((h) => h.toLowerCase()) }
              : {}),
          },
        };
  const failureMode = extAuth.failOpen
    ? 'ALLOW'
    : extAuth.statusOnError === undefined
      ? 'DENY'
      : 'DENY_WITH_STATUS';
  return {
    traffic: [
      {
        extAuthz: {
          target,
          ...protocol,
          failureMode,
          ...(failureMode === 'DENY_WITH_STATUS' ? { statusOnError: extAuth.statusOnError } : {}),
          ...(extAuth.headersToExtAuth.length > 0
            ? { includeRequestHeaders: extAuth.headersToExtAuth.map((h) => h.toLowerCase()) }
            : {}),
          ...(extAuth.maxRequestBytes === undefined
            ? {}
            : { includeRequestBody: { maxRequestBytes: extAuth.maxRequestBytes } }),
        },
      },
    ],
  };
}
