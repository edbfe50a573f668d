// Status of the AI Gateway kinds, by Envoy AI Gateway's convention: `Accepted=True` or `NotAccepted=False` (its
// reason says why), plus `ResolvedRefs=False` on a route whose backends do not all resolve. Conditions of other
// types (another controller's) are kept; lastTransitionTime is kept while a condition's status is unchanged.

import type { RouteEvaluation } from '../gateway-api/route-status.ts';
import type { AIGatewayStatus } from '../resources/ai-gateway.ts';
import type { Condition } from '../resources/kubernetes.ts';
import type { ResourceKey } from '../resources/resource-key.ts';

/** Why an object (or one of its references) cannot be used: a condition reason and a message naming the field. */
export interface Problem {
  readonly reason: string;
  readonly message: string;
}

export interface AIStatusUpdate {
  readonly key: ResourceKey;
  readonly status: AIGatewayStatus;
}

export type DesiredCondition = Omit<Condition, 'lastTransitionTime'>;

const OWNED_TYPES = new Set(['Accepted', 'NotAccepted', 'ResolvedRefs']);

/** What an AIGatewayRoute's evaluation found, for its conditions. */
export interface RouteFindings {
  /** The route as a whole cannot be used (client schema, request costs). */
  readonly kindProblem: Problem | undefined;
  /** The first backendRef that does not resolve. */
  readonly refProblem: Problem | undefined;
  /** Rules left out, each naming its field. */
  readonly routeProblems: readonly string[];
  /** The models of the rules that can be routed (none: the route routes nothing). */
  readonly models: readonly string[];
  /** Every accepting parent is a Gateway of a data plane that cannot serve the route (data-planes.ts). */
  readonly dataPlaneProblem?: Problem;
  /** What some accepting parents' data plane does not serve of the route (ends the Accepted message). */
  readonly dataPlaneNote?: string;
  /** GatewayConfigs its Gateways name whose global costs do not apply (ends the Accepted message). */
  readonly costsNote?: string;
}

/** Accepted, or NotAccepted with the first reason that applies; ResolvedRefs=False for unresolved backends. */
export function aiGatewayRouteConditions(
  http: RouteEvaluation,
  findings: RouteFindings,
  hasRules: boolean,
): DesiredCondition[] {
  const { kindProblem, refProblem, routeProblems } = findings;
  const resolvedRefs: DesiredCondition[] =
    refProblem !== undefined && kindProblem === undefined
      ? [{ type: 'ResolvedRefs', status: 'False', ...refProblem }]
      : [];
  if (kindProblem !== undefined) return [{ type: 'NotAccepted', status: 'False', ...kindProblem }];
  if (!hasRules) {
    const message = ['no rule can be routed', ...(refProblem ? [refProblem.message] : []), ...routeProblems];
    return [
      {
        type: 'NotAccepted',
        status: 'False',
        reason: refProblem?.reason ?? 'NoValidRules',
        message: message.join('; '),
      },
      ...resolvedRefs,
    ];
  }
  const unattached = notAttachedCondition(http);
  if (unattached !== undefined) return [unattached, ...resolvedRefs];
  if (findings.dataPlaneProblem !== undefined)
    return [{ type: 'NotAccepted', status: 'False', ...findings.dataPlaneProblem }, ...resolvedRefs];
  const accepted =
    routeProblems.length === 0
      ? `AI Gateway route accepted: ${findings.models.join(', ')}`
      : `AI Gateway route accepted; dropped: ${routeProblems.join('; ')}`;
  const message = [accepted, findings.dataPlaneNote, findings.costsNote]
    .filter((part) => part !== undefined)
    .join('; ');
  return [{ type: 'Accepted', status: 'True', reason: 'Accepted', message }, ...resolvedRefs];
}

/** NotAccepted with the parent's reason when no parent Gateway accepts the route (and one refused it). */
export function notAttachedCondition(http: RouteEvaluation): DesiredCondition | undefined {
  if (http.parents.some((p) => p.accepted)) return undefined;
  const refused = http.parents
    .map((p) => p.status.conditions.find((c) => c.type === 'Accepted' && c.status === 'False'))
    .find((c) => c !== undefined);
  if (refused === undefined) return undefined;
  const message = `no parent Gateway accepts the route: ${refused.message}`;
  return { type: 'NotAccepted', status: 'False', reason: refused.reason, message };
}

/** Accepted when usable, else NotAccepted with the problem's reason (AIServiceBackend, BackendSecurityPolicy). */
export function acceptanceCondition(kind: string, problem: Problem | undefined): DesiredCondition {
  return problem === undefined
    ? { type: 'Accepted', status: 'True', reason: 'Accepted', message: `${kind} accepted` }
    : { type: 'NotAccepted', status: 'False', reason: problem.reason, message: problem.message };
}

/** Keeps lastTransitionTime while a condition's status is unchanged; keeps condition types we do not own. */
export function stampConditions(
  previous: readonly Condition[] | undefined,
  desired: readonly DesiredCondition[],
  generation: number | undefined,
  now: string,
): Condition[] {
  const before = new Map<string, Condition>();
  for (const old of Array.isArray(previous) ? previous : [])
    if (typeof old?.type === 'string') before.set(old.type, old);
  const out: Condition[] = desired.map((next) => {
    const old = before.get(next.type);
    return {
      ...next,
      lastTransitionTime:
        old !== undefined && old.status === next.status && typeof old.lastTransitionTime === 'string'
          ? old.lastTransitionTime
          : now,
      ...(typeof generation === 'number' ? { observedGeneration: generation } : {}),
    };
  });
  const written = new Set(desired.map((c) => c.type));
  for (const [type, old] of before) if (!written.has(type) && !OWNED_TYPES.has(type)) out.push(old);
  return out;
}
