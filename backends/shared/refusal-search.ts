// Finding what a data plane refuses when it refuses whole responses (Envoy): a NACK names no route, and Envoy
// NACKs a RouteConfiguration or a Listener as a whole, so one bad rule would hold back every change of its port.
// The Gateway's IR is cut into pieces — each listener (its own settings) and each rule of each route on it — and
// the backend pushes candidates of the IR with some pieces left out until it knows which pieces Envoy refuses;
// those are dropped (left out of every push while they stay the same) and reported on their route or listener.
//
// The search: pieces known good stay in every candidate, one group at a time is tried on top of them; a group
// refused is halved until a single piece is refused (dropped). It starts with the pieces the proxy already took
// unchanged, then the changed ones: the first candidate is what ran before less what changed, so a change that
// Envoy refuses (a route gaining an authentication filter, say) is taken off the data plane at the first step,
// never left running in its old, unprotected form. Pieces are only ever left out, never replaced by an older
// version: what is served of a refused change is nothing (fail closed).
import type { ListenerRef } from '../../model/ir/backend-contract.ts';
import type { GatewayIR, ListenerIR, RouteIR } from '../../model/ir/gateway-ir.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import { fingerprint } from '../../runtime/fingerprint.ts';

/** The route (and rule) or listener of the IR a resource or piece comes from. */
export type ResourceOrigin =
  | { readonly route: ResourceKey; readonly rule?: number }
  | { readonly listener: ListenerRef };

/** A part of the IR that can be left out: a listener's own settings, or one rule of a route on a listener. */
export interface Piece {
  readonly id: string;
  /** Changes when the piece does: a dropped piece is offered again once it changed. */
  readonly digest: string;
  readonly origin: ResourceOrigin;
  /** A rule's listener piece: the rule is served only with it. */
  readonly parent?: string;
}

function listenerPieceId(listener: ListenerIR): string {
  return `listener ${formatResourceKey(listener.owner)}#${listener.name}`;
}

function rulePieceId(listener: ListenerIR, route: RouteIR, rule: number): string {
  return `rule ${formatResourceKey(listener.owner)}#${listener.name} ${formatResourceKey(route.route)} ${rule}`;
}

export function piecesOf(ir: GatewayIR): Piece[] {
  const pieces: Piece[] = [];
  for (const port of ir.ports) {
    for (const listener of port.listeners) {
      const { routes, ...own } = listener;
      pieces.push({
        id: listenerPieceId(listener),
        digest: fingerprint([port.port, port.transport, own]),
        origin: { listener: { owner: listener.owner, name: listener.name } },
      });
      const parent = listenerPieceId(listener);
      for (const route of routes) pieces.push(...rulePieces(route, listener, parent));
    }
  }
  return pieces;
}

/**
 * A route's rule pieces on a listener (each rule's digest taken with the route's own fields), per RouteIR object: the
 * IR built again after one route changed holds the same RouteIR objects for the others, so a push digests and names
 * the changed routes only.
 */
const piecesOfRoute = new WeakMap<RouteIR, { readonly parent: string; readonly pieces: readonly Piece[] }>();

function rulePieces(route: RouteIR, listener: ListenerIR, parent: string): readonly Piece[] {
  const known = piecesOfRoute.get(route);
  if (known?.parent === parent) return known.pieces;
  const { rules, ...routeOwn } = route;
  const pieces = rules.map((rule) => ({
    id: rulePieceId(listener, route, rule.index),
    digest: fingerprint([routeOwn, rule]),
    origin: { route: route.route, rule: rule.index },
    parent,
  }));
  piecesOfRoute.set(route, { parent, pieces });
  return pieces;
}

/** The IR less the pieces named (a listener left out takes its routes with it; a route losing every rule goes). */
export function withoutPieces(ir: GatewayIR, excluded: ReadonlySet<string>): GatewayIR {
  if (excluded.size === 0) return ir;
  const ports = ir.ports
    .map((port) => ({
      ...port,
      listeners: port.listeners
        .filter((listener) => !excluded.has(listenerPieceId(listener)))
        .map((listener) => ({
          ...listener,
          routes: listener.routes
            .map((route) => ({
              ...route,
              rules: route.rules.filter((rule) => !excluded.has(rulePieceId(listener, route, rule.index))),
            }))
            .filter((route) => route.rules.length > 0),
        })),
    }))
    .filter((port) => port.listeners.length > 0);
  return { ...ir, ports };
}

/** Where a search stands: `testing` is in the candidate on top of `known`; `queue` waits its turn. */
export interface Search {
  readonly known: readonly string[];
  readonly testing: readonly string[];
  readonly queue: readonly (readonly string[])[];
  /** Pieces found refused, with the data plane's text when it refused them alone on top of `known`. */
  readonly refused: readonly { readonly id: string; readonly message: string }[];
  /** Candidates pushed so far. */
  readonly steps: number;
  /** Each rule piece's listener piece. */
  readonly parents: Readonly<Record<string, string>>;
}

function halves(ids: readonly string[]): (readonly string[])[] {
  if (ids.length <= 1) return ids.length === 0 ? [] : [ids];
  const middle = Math.ceil(ids.length / 2);
  return [ids.slice(0, middle), ids.slice(middle)];
}

/**
 * Starts a search after a push of `offered` (ids) was refused; `accepted` holds each piece's digest as the proxy
 * last took it. Returns the search with its first group under test (never the refused push again).
 */
export function startSearch(offered: readonly Piece[], accepted: ReadonlyMap<string, string>): Search {
  // A rule whose listener is not offered (dropped before) is not served: nothing to search.
  const ids = new Set(offered.map((p) => p.id));
  const servable = offered.filter((p) => p.parent === undefined || ids.has(p.parent));
  const unchanged = servable.filter((p) => accepted.get(p.id) === p.digest).map((p) => p.id);
  const changed = servable.filter((p) => accepted.get(p.id) !== p.digest).map((p) => p.id);
  const groups =
    unchanged.length > 0 && changed.length > 0
      ? [unchanged, changed]
      : halves(changed.length > 0 ? changed : unchanged);
  const parents: Record<string, string> = {};
  for (const piece of servable) if (piece.parent !== undefined) parents[piece.id] = piece.parent;
  return next({ known: [], testing: [], queue: groups, refused: [], steps: 0, parents });
}

/**
 * The search after the data plane answered the candidate (`refusal`: its NACK text); see `finished`. Taken, the
 * group's pieces are known good — but a rule whose listener was not in the candidate was not served, so it waits
 * its turn again. A refused listener takes its rules out of the search: they are not served without it.
 */
export function answer(search: Search, refusal: string | undefined): Search {
  if (refusal === undefined) {
    const included = new Set([...search.known, ...search.testing]);
    const served = (id: string) => search.parents[id] === undefined || included.has(search.parents[id]!);
    const refused = new Set(search.refused.map((r) => r.id));
    const untried = search.testing.filter((id) => !served(id) && !refused.has(search.parents[id]!));
    return next({
      ...search,
      known: [...search.known, ...search.testing.filter(served)],
      testing: [],
      queue: untried.length === 0 ? search.queue : [...search.queue, untried],
    });
  }
  if (search.testing.length === 1) {
    const id = search.testing[0]!;
    const withoutItsRules = search.queue
      .map((group) => group.filter((piece) => search.parents[piece] !== id))
      .filter((group) => group.length > 0);
    return next({
      ...search,
      testing: [],
      queue: withoutItsRules,
      refused: [...search.refused, { id, message: refusal }],
    });
  }
  return next({ ...search, testing: [], queue: [...halves(search.testing), ...search.queue] });
}

function next(search: Search): Search {
  const [group, ...queue] = search.queue;
  if (group === undefined) return { ...search, testing: [] };
  return { ...search, testing: group, queue, steps: search.steps + 1 };
}

/** Every piece is known good or refused: nothing is under test. */
export function finished(search: Search): boolean {
  return search.testing.length === 0;
}

/** What a candidate leaves out: every offered piece neither known good nor under test. */
export function candidateExcludes(search: Search, offered: readonly Piece[]): Set<string> {
  const included = new Set([...search.known, ...search.testing]);
  return new Set(offered.filter((p) => !included.has(p.id)).map((p) => p.id));
}
