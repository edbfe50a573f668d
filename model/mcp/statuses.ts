// MCPRoute status, by Envoy AI Gateway's convention for its kinds: `Accepted=True` or `NotAccepted=False` (its
// reason says why), plus `ResolvedRefs=False` when a backendRef does not resolve. Backends left out of an accepted
// route (their selector, credentials or reference cannot be used) are named in the Accepted message, and so are
// the Gateways whose data plane cannot serve the route as written (UnsupportedValue when none of them can).

import { type DesiredCondition, notAttachedCondition, type Problem } from '../ai-gateway/statuses.ts';
import type { RouteEvaluation } from '../gateway-api/route-status.ts';

export interface MCPRouteFindings {
  /** The route as a whole cannot be served (a field we do not support, invalid OAuth …). */
  readonly routeProblem: Problem | undefined;
  /** The first backendRef that does not resolve. */
  readonly refProblem: Problem | undefined;
  /** Every backend left out, naming its field. */
  readonly leftOut: readonly Problem[];
  /** The backends the proxy serves. */
  readonly backends: readonly string[];
  /** Accepted parent Gateways whose data plane cannot serve the route as written. */
  readonly dataPlaneGaps: readonly DataPlaneGap[];
  /** How many Gateways accept the route. */
  readonly acceptedParents: number;
}

export interface DataPlaneGap {
  /** `namespace/name` of the Gateway. */
  readonly gateway: string;
  readonly dataPlane: string;
  /** The field and why, naming the data plane. */
  readonly message: string;
}

export function mcpRouteConditions(http: RouteEvaluation, findings: MCPRouteFindings): DesiredCondition[] {
  const { routeProblem, refProblem, leftOut, backends } = findings;
  const resolvedRefs: DesiredCondition[] =
    refProblem === undefined ? [] : [{ type: 'ResolvedRefs', status: 'False', ...refProblem }];
  if (routeProblem !== undefined)
    return [{ type: 'NotAccepted', status: 'False', ...routeProblem }, ...resolvedRefs];
  if (backends.length === 0) {
    return [
      {
        type: 'NotAccepted',
        status: 'False',
        reason: leftOut[0]?.reason ?? 'NoValidBackends',
        message: ['no MCP server can be served', ...leftOut.map((p) => p.message)].join('; '),
      },
      ...resolvedRefs,
    ];
  }
  const unattached = notAttachedCondition(http);
  if (unattached !== undefined) return [unattached, ...resolvedRefs];
  const gaps = findings.dataPlaneGaps.map(
    (gap) => `not served on ${gap.dataPlane} Gateway ${gap.gateway}: ${gap.message}`,
  );
  if (gaps.length > 0 && gaps.length >= findings.acceptedParents)
    return [
      { type: 'NotAccepted', status: 'False', reason: 'UnsupportedValue', message: gaps.join('; ') },
      ...resolvedRefs,
    ];
  const served = `MCP route accepted: ${backends.join(', ')}`;
  const message = [
    served,
    ...(leftOut.length === 0 ? [] : [`left out: ${leftOut.map((p) => p.message).join('; ')}`]),
    ...gaps,
  ].join('; ');
  return [{ type: 'Accepted', status: 'True', reason: 'Accepted', message }, ...resolvedRefs];
}
