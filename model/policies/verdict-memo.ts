// A policy's verdict kept with the policy object it was computed from, and reused while that object and every
// resource its evaluation read are the same objects: a policy is evaluated once for its status and once per
// Gateway recomputation that applies it, and its IR (the same object each time) is not rebuilt for each. The
// reads are made again on the view of each reuse, so a view that records what an evaluation depends on (the
// reference validator's) sees them as if the evaluation had run.
import type { KindName } from '../resources/kinds.ts';
import type { ResourceView } from '../shared/resource-view.ts';

type Read = (view: ResourceView) => boolean;

const sameItems = (a: readonly unknown[], b: readonly unknown[]) =>
  a.length === b.length && a.every((item, i) => item === b[i]);

/** `evaluate(view)` for `policy`, or the verdict of an earlier call for the same object when it still holds. */
export function memoisedVerdict<V>(
  memo: WeakMap<object, { readonly reads: readonly Read[]; readonly verdict: V }>,
  policy: object,
  view: ResourceView,
  evaluate: (view: ResourceView) => V,
): V {
  const known = memo.get(policy);
  if (known?.reads.every((same) => same(view))) return known.verdict;
  const reads: Read[] = [];
  const recording: ResourceView = {
    get: (kind, namespace, name) => {
      const value = view.get(kind, namespace, name);
      reads.push((other) => other.get(kind, namespace, name) === value);
      return value;
    },
    list: <K extends KindName>(kind: K, namespace?: string) => {
      const value = view.list(kind, namespace);
      reads.push((other) => sameItems(other.list(kind, namespace), value));
      return value;
    },
    endpointSlicesOf: (namespace, service) => {
      const value = view.endpointSlicesOf(namespace, service);
      reads.push((other) => sameItems(other.endpointSlicesOf(namespace, service), value));
      return value;
    },
  };
  const verdict = evaluate(recording);
  memo.set(policy, { reads, verdict });
  return verdict;
}
