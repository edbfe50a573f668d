// Kubernetes label selectors (matchLabels + matchExpressions), used by allowedRoutes and allowedListeners.

import type { LabelSelector } from '../resources/kubernetes.ts';

export type LabelPredicate = (labels: Readonly<Record<string, string>> | undefined) => boolean;

export type CompiledSelector =
  | { readonly ok: true; readonly matches: LabelPredicate }
  | { readonly ok: false; readonly message: string };

/** Compiles a selector once; an empty selector matches everything, as in Kubernetes. */
export function compileLabelSelector(selector: LabelSelector | undefined): CompiledSelector {
  if (selector === undefined || selector === null) return { ok: true, matches: () => true };
  if (typeof selector !== 'object') return { ok: false, message: 'selector must be an object' };
  const checks: LabelPredicate[] = [];
  const matchLabels = selector.matchLabels ?? {};
  if (typeof matchLabels !== 'object' || matchLabels === null) {
    return { ok: false, message: 'selector.matchLabels must be a map of strings' };
  }
  for (const [key, value] of Object.entries(matchLabels)) {
    if (typeof value !== 'string')
      return { ok: false, message: `selector.matchLabels.${key} must be a string` };
    checks.push((labels) => labels?.[key] === value);
  }
  const expressions = selector.matchExpressions ?? [];
  if (!Array.isArray(expressions)) return { ok: false, message: 'selector.matchExpressions must be a list' };
  for (const [i, expression] of expressions.entries()) {
    const key = expression?.key;
    const values = Array.isArray(expression?.values) ? expression.values : [];
    if (typeof key !== 'string')
      return { ok: false, message: `selector.matchExpressions[${i}].key must be a string` };
    switch (expression.operator) {
      case 'In':
        checks.push((labels) => labels?.[key] !== undefined && values.includes(labels[key] as string));
        break;
      case 'NotIn':
        checks.push((labels) => labels?.[key] === undefined || !values.includes(labels[key] as string));
        break;
      case 'Exists':
        checks.push((labels) => labels?.[key] !== undefined);
        break;
      case 'DoesNotExist':
        checks.push((labels) => labels?.[key] === undefined);
        break;
      default:
        return {
          ok: false,
          message: `selector.matchExpressions[${i}].operator ${String(expression.operator)} is not In, NotIn, Exists or DoesNotExist`,
        };
    }
  }
  return { ok: true, matches: (labels) => checks.every((check) => check(labels)) };
}
