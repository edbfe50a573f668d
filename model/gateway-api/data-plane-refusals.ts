// What a data plane refused of a route, on the route's parent entry for that Gateway. The spec's rules decide the
// conditions first; a refusal then changes them only as far as it changes what is served:
// - every rule the Gateway would serve dropped (Envoy's bisection drops whole routes): Accepted False,
//   UnsupportedValue — the spec counts a route Accepted when at least one of its rules is implemented, and none is;
//   UnsupportedValue is its reason for a value the implementation cannot program;
// - some rules dropped, or applied with a warning (agentgateway ignores what it cannot run and says so):
//   PartiallyInvalid True, UnsupportedValue, its message starting "Dropped Rule" as the spec requires, Accepted stays.
// Both are spec conditions, so they go away by themselves when the refusal does (an extension condition type
// would be kept as another controller's, see mergeConditions). The data plane's own text is in the message.
import type { DataPlaneRefusal } from '../ir/backend-contract.ts';
import { type ConditionSpec, ConditionType, condition, RouteReason } from '../shared/conditions.ts';

/** The parent entry's conditions with the refusals of the data plane of its Gateway folded in. */
export function withDataPlaneRefusals(
  desired: readonly ConditionSpec[],
  refusals: readonly DataPlaneRefusal[],
  servedRules: readonly number[],
): ConditionSpec[] {
  const accepted = desired.find((c) => c.type === ConditionType.Accepted);
  if (refusals.length === 0 || accepted?.status !== 'True') return [...desired];
  const dropped = refusals.filter((r) => r.severity === 'dropped');
  const droppedRules = new Set(dropped.map((r) => r.rule));
  const wholeRoute =
    droppedRules.has(undefined) || (servedRules.length > 0 && servedRules.every((i) => droppedRules.has(i)));
  if (wholeRoute) {
    return desired
      .filter((c) => c.type !== ConditionType.PartiallyInvalid)
      .map((c) =>
        c.type === ConditionType.Accepted
          ? condition(
              ConditionType.Accepted,
              'False',
              RouteReason.UnsupportedValue,
              `The data plane refused this route, so this Gateway does not serve it: ${texts(dropped)}`,
            )
          : c,
      );
  }
  const parts = [
    ...byRule(dropped).map(([rule, text]) => `Dropped Rule ${rule}: the data plane refused it: ${text}`),
    ...byRule(refusals.filter((r) => r.severity === 'warning')).map(
      ([rule, text]) => `Dropped Rule ${rule} in part: the data plane ignored what it warned about: ${text}`,
    ),
  ];
  const earlier = desired.find((c) => c.type === ConditionType.PartiallyInvalid);
  const message = [earlier?.message, ...parts].filter((m) => m !== undefined).join('; ');
  return [
    ...desired.filter((c) => c.type !== ConditionType.PartiallyInvalid),
    condition(ConditionType.PartiallyInvalid, 'True', RouteReason.UnsupportedValue, message),
  ];
}

function texts(refusals: readonly DataPlaneRefusal[]): string {
  return [...new Set(refusals.map((r) => r.message))].join('; ');
}

/** Refusals grouped by rule index (rules in order; a refusal of no particular rule as rule "*"). */
function byRule(refusals: readonly DataPlaneRefusal[]): [string, string][] {
  const groups = new Map<string, DataPlaneRefusal[]>();
  for (const refusal of [...refusals].sort((a, b) => (a.rule ?? -1) - (b.rule ?? -1))) {
    const key = refusal.rule === undefined ? '*' : String(refusal.rule);
    groups.set(key, [...(groups.get(key) ?? []), refusal]);
  }
  return [...groups].map(([rule, group]) => [rule, texts(group)]);
}
