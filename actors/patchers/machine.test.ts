import { describe, expect, it } from 'vitest';
import { sameStatus } from './machine.ts';

const condition = { type: 'Accepted', status: 'True', reason: 'Accepted', observedGeneration: 1 };
const ours = () => ({
  parents: [{ parentRef: { name: 'gw', namespace: 'd' }, conditions: [{ ...condition }] }],
});
/** The same status as the API server hands it back: Go's JSON sorts the keys. */
const readBack = () => ({
  parents: [
    {
      conditions: [{ observedGeneration: 1, reason: 'Accepted', status: 'True', type: 'Accepted' }],
      parentRef: { namespace: 'd', name: 'gw' },
    },
  ],
});

describe('sameStatus', () => {
  it('finds a status read back from the API server, keys in its order, the same as ours', () => {
    expect(sameStatus(readBack(), ours())).toBe(true);
  });

  it('finds one of our statuses the same as another built alike, or with its keys in another order', () => {
    const written = ours();
    expect(sameStatus(written, written)).toBe(true);
    // The status on the object is one we digested as a desired status before (standalone mode puts it there).
    expect(sameStatus(ours(), written)).toBe(true);
    expect(sameStatus(written, ours())).toBe(true);
    expect(sameStatus(written, readBack())).toBe(true);
  });

  it('tells statuses that say something else apart, and a status from none', () => {
    const changed = ours();
    changed.parents[0]!.conditions[0]!.status = 'False';
    expect(sameStatus(ours(), changed)).toBe(false);
    expect(sameStatus(readBack(), changed)).toBe(false);
    expect(sameStatus(undefined, ours())).toBe(false);
    expect(sameStatus(undefined, undefined)).toBe(true);
  });
});
