// The refusal search as the backend machine drives it, for a data plane that refuses whole responses (Envoy): what
// a new revision offers the proxies, and the step taken on the proxies' answer to the latest push (refusal-search.ts
// holds the search itself).
import type { TlsMaterial } from '../../model/ir/backend-contract.ts';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import type { GatewayState, RefusedPieces, TrackedProxy } from './backend-state.ts';
import {
  answer,
  candidateExcludes,
  finished,
  type Piece,
  piecesOf,
  type Search,
  startSearch,
  withoutPieces,
} from './refusal-search.ts';

/**
 * What a new revision offers the proxies: every piece but the rules dropped before and unchanged since. A dropped
 * listener is offered again with every revision: what Envoy refuses of a listener may be outside the
 * configuration (its port taken by another process) and gone by then.
 */
export function offer(
  ir: GatewayIR,
  tls: Readonly<Record<string, TlsMaterial>>,
  previous: RefusedPieces | undefined,
): RefusedPieces {
  const pieces = piecesOf(ir);
  const dropped = new Map<string, { readonly piece: Piece; readonly message: string }>();
  // Mostly nothing was dropped: then every piece is offered, without looking each one up (10,000 at 10,000 routes).
  const droppedBefore = previous?.dropped.size ?? 0;
  for (const piece of droppedBefore === 0 ? [] : pieces) {
    const earlier = previous?.dropped.get(piece.id);
    if (earlier !== undefined && earlier.piece.digest === piece.digest && piece.parent !== undefined)
      dropped.set(piece.id, { piece, message: earlier.message });
  }
  return {
    ir,
    tls,
    offered: dropped.size === 0 ? pieces : pieces.filter((p) => !dropped.has(p.id)),
    dropped,
    accepted: previous?.accepted ?? [],
    judged: previous?.judged ?? 0,
  };
}

/**
 * Takes the proxies' answer to the latest push, once there is one: a NACK from any proxy, or an ACK from all.
 * Returns the new search state and the candidate to push next (none when the search is over or was not needed);
 * undefined while the answer is not in.
 */
export function searchStep(
  backend: string,
  state: GatewayState,
  refused: RefusedPieces,
): { readonly refused: RefusedPieces; readonly candidate?: GatewayIR } | undefined {
  const latest = state.published.at(-1)?.wire;
  if (latest === undefined || latest <= refused.judged || !state.translated) return undefined;
  const proxies = Object.values(state.proxies);
  const rejecting = proxies.find((p) => p.rejectedWire === latest);
  const refusal =
    rejecting === undefined ? undefined : `${backend} proxy ${rejecting.proxy}: ${rejecting.rejection}`;
  if (refusal === undefined && !(proxies.length > 0 && proxies.every((p) => (p.ackedWire ?? 0) >= latest)))
    return undefined;
  const judged = { ...refused, judged: latest };
  let search: Search;
  if (refused.search !== undefined) search = answer(refused.search, refusal);
  else if (refusal === undefined) {
    // Taken whole: what the proxies run now is every piece offered.
    return { refused: { ...judged, accepted: refused.offered } };
  } else if (refused.cause !== undefined) {
    // The pieces left after a search are refused too: the refusal is not in any piece (it stays a rejection).
    return { refused: judged };
  } else search = startSearch(refused.offered, new Map(refused.accepted.map((p) => [p.id, p.digest])));
  const cause = refused.cause ?? refusal;
  const dropped = new Map(refused.dropped);
  const byId = new Map(refused.offered.map((p) => [p.id, p]));
  if (finished(search)) {
    for (const { id, message } of search.refused) dropped.set(id, { piece: byId.get(id)!, message });
    const known = search.known.map((id) => byId.get(id)!);
    const { search: _over, ...rest } = judged;
    const done: RefusedPieces = {
      ...rest,
      offered: known,
      dropped,
      accepted: known,
      ...(cause === undefined ? {} : { cause }),
    };
    // After a refusal the proxies run the last candidate they took (the pieces known good): push that.
    return refusal === undefined
      ? { refused: done }
      : { refused: done, candidate: withoutPieces(refused.ir, new Set(dropped.keys())) };
  }
  const excluded = new Set([...dropped.keys(), ...candidateExcludes(search, refused.offered)]);
  return {
    refused: { ...judged, search, ...(cause === undefined ? {} : { cause }) },
    candidate: withoutPieces(refused.ir, excluded),
  };
}

export function withoutRejectionOf(
  proxies: Readonly<Record<string, TrackedProxy>>,
  state: GatewayState,
): Record<string, TrackedProxy> {
  const latest = state.published.at(-1)?.wire;
  return Object.fromEntries(
    Object.entries(proxies).map(([name, proxy]) => {
      if (proxy.rejectedWire !== latest) return [name, proxy];
      const { rejection: _text, rejectedWire: _wire, ...rest } = proxy;
      return [name, rest];
    }),
  );
}
