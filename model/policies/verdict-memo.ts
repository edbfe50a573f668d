// A policy's verdict kept with the policy object it was computed from, and reused while that object and every
// input its evaluation read are the same: the resources it read from the view, the discovery documents it read
// from the context, and the context's hostDataPlane. Every policy kind goes through it (evaluatePolicy in
// attachment.ts): a policy is evaluated for its status and for each Gateway recomputation that applies it, and
// its IR (the same object each time) is not rebuilt for each. The reads are made again on the view of each reuse,
// so a view that records what an evaluation depends on (the reference validator's) sees them as if the
// evaluation had run.
import type { KindName } from '../resources/kinds.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import type { OidcDiscoveryView } from './oidc-discovery.ts';

/** What an evaluation reads besides the view (attachment.ts's PolicyContext). */
interface EvaluationContext {
  readonly hostDataPlane: boolean;
  readonly oidcDiscovery?: OidcDiscoveryView;
}

/** One input an evaluation read, as data (a closure per read would keep its whole scope alive). */
type Read =
  | {
      readonly kind: KindName;
      readonly namespace: string | undefined;
      readonly name: string;
      readonly value: unknown;
    }
  | { readonly list: KindName; readonly namespace: string | undefined; readonly items: readonly unknown[] }
  | { readonly slicesOf: string; readonly namespace: string; readonly items: readonly unknown[] }
  | { readonly issuer: string; readonly value: unknown };

interface Kept {
  /** The kind's rules it was evaluated with (one per kind; a test may bring its own). */
  readonly rules: object;
  readonly hostDataPlane: boolean;
  /** Whether the context had discovery documents (an evaluation without them reads none). */
  readonly discovery: boolean;
  readonly reads: readonly Read[];
  readonly verdict: unknown;
}

/** By policy object: a changed policy is a new object, and an old one goes with its verdict. */
const VERDICTS = new WeakMap<object, Kept>();
const NO_READS: readonly Read[] = [];

const sameItems = (a: readonly unknown[], b: readonly unknown[]) =>
  a.length === b.length && a.every((item, i) => item === b[i]);

function stillHolds(read: Read, view: ResourceView, context: EvaluationContext): boolean {
  if ('kind' in read) return view.get(read.kind, read.namespace, read.name) === read.value;
  if ('list' in read) return sameItems(view.list(read.list, read.namespace), read.items);
  if ('slicesOf' in read) return sameItems(view.endpointSlicesOf(read.namespace, read.slicesOf), read.items);
  return context.oidcDiscovery?.get(read.issuer) === read.value;
}

/** `evaluate(view, context)` for `policy`, or the verdict of an earlier call for the same object when it holds. */
export function memoisedVerdict<V, C extends EvaluationContext>(
  policy: object,
  rules: object,
  view: ResourceView,
  context: C,
  evaluate: (view: ResourceView, context: C) => V,
): V {
  const discovery = context.oidcDiscovery;
  const known = VERDICTS.get(policy);
  if (
    known !== undefined &&
    known.rules === rules &&
    known.hostDataPlane === context.hostDataPlane &&
    known.discovery === (discovery !== undefined) &&
    known.reads.every((read) => stillHolds(read, view, context))
  )
    return known.verdict as V;
  const reads: Read[] = [];
  const recording: ResourceView = {
    get: (kind, namespace, name) => {
      const value = view.get(kind, namespace, name);
      reads.push({ kind, namespace, name, value });
      return value;
    },
    list: <K extends KindName>(kind: K, namespace?: string) => {
      const items = view.list(kind, namespace);
      reads.push({ list: kind, namespace, items });
      return items;
    },
    endpointSlicesOf: (namespace, service) => {
      const items = view.endpointSlicesOf(namespace, service);
      reads.push({ slicesOf: service, namespace, items });
      return items;
    },
  };
  const recordingDiscovery: OidcDiscoveryView | undefined = discovery && {
    get: (issuer) => {
      const value = discovery.get(issuer);
      reads.push({ issuer, value });
      return value;
    },
  };
  const verdict = evaluate(
    recording,
    recordingDiscovery === undefined ? context : { ...context, oidcDiscovery: recordingDiscovery },
  );
  VERDICTS.set(policy, {
    rules,
    hostDataPlane: context.hostDataPlane,
    discovery: discovery !== undefined,
    reads: reads.length === 0 ? NO_READS : reads,
    verdict,
  });
  return verdict;
}
