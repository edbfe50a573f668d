import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gatewayIR, listener, port, route, rule, service } from '../envoy/testdata/gateway-ir.ts';
import {
  answer,
  candidateExcludes,
  finished,
  piecesOf,
  startSearch,
  withoutPieces,
} from './refusal-search.ts';

/** n routes of one rule each on one listener. */
function irOf(n: number) {
  const routes = Array.from({ length: n }, (_, i) =>
    route(`r${i}`, [
      rule([service('app', [9000])], { matches: [{ path: { type: 'PathPrefix', value: `/${i}` } }] }),
    ]),
  );
  return gatewayIR([port(8080, [listener('web', 'HTTP', routes)])]);
}

describe('finding the pieces a data plane refuses', () => {
  it('cuts the IR into the listener and each rule, and leaves pieces out without changing the rest', () => {
    const ir = irOf(3);
    const pieces = piecesOf(ir);
    expect(pieces.map((p) => p.origin)).toEqual([
      { listener: { owner: ir.ports[0]!.listeners[0]!.owner, name: 'web' } },
      ...['r0', 'r1', 'r2'].map((name) => ({ route: expect.objectContaining({ name }), rule: 0 })),
    ]);
    const without = withoutPieces(ir, new Set([pieces[2]!.id]));
    expect(without.ports[0]!.listeners[0]!.routes.map((r) => r.route.name)).toEqual(['r0', 'r2']);
    expect(withoutPieces(ir, new Set([pieces[0]!.id])).ports).toEqual([]);
  });

  it('blames a refused listener alone: its rules are not served without it, so not searched', () => {
    const pieces = piecesOf(irOf(4));
    // Every candidate with the listener is refused; rules without it are never in a candidate at all.
    let search = startSearch(pieces, new Map(pieces.slice(1).map((p) => [p.id, p.digest])));
    while (!finished(search))
      search = answer(search, candidateExcludes(search, pieces).has(pieces[0]!.id) ? undefined : 'refused');
    expect(search.refused.map((r) => r.id)).toEqual([pieces[0]!.id]);
    expect(search.known).toEqual([]);
  });

  it('finds exactly the refused pieces whichever they are, keeping every other piece, in few pushes', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 60 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.uniqueArray(fc.integer({ min: 1, max: n }), { maxLength: 3 })),
          ),
        fc.boolean(),
        ([n, badIndexes], takenBefore) => {
          const pieces = piecesOf(irOf(n));
          const bad = new Set(badIndexes.map((i) => pieces[i]!.id));
          // What the proxy took before: every piece unchanged but the bad ones (a change adding them).
          const accepted = new Map(
            takenBefore ? pieces.filter((p) => !bad.has(p.id)).map((p) => [p.id, p.digest]) : [],
          );
          if (bad.size === 0) return;
          let search = startSearch(pieces, accepted);
          let pushes = 0;
          while (!finished(search)) {
            pushes++;
            const excluded = candidateExcludes(search, pieces);
            const served = (id: string) => !excluded.has(id) && !excluded.has(pieces[0]!.id);
            const refused = [...bad].some(served);
            search = answer(search, refused ? 'refused' : undefined);
          }
          expect(new Set(search.refused.map((r) => r.id))).toEqual(bad);
          expect(new Set(search.known)).toEqual(
            new Set(pieces.filter((p) => !bad.has(p.id)).map((p) => p.id)),
          );
          expect(pushes).toBeLessThanOrEqual(2 + 2 * bad.size * (Math.ceil(Math.log2(pieces.length)) + 1));
          // A change refused is taken off first: the first candidate holds only what the proxy took unchanged
          // (when it took anything: a revision all new is halved at once).
          if (takenBefore && bad.size < pieces.length)
            expect(
              pieces
                .filter((p) => !candidateExcludes(startSearch(pieces, accepted), pieces).has(p.id))
                .some((p) => bad.has(p.id)),
            ).toBe(false);
        },
      ),
      { seed: 20261207, numRuns: 300 },
    );
  });
});
