import { describe, expect, it } from 'vitest';
import { fingerprint, sameJson } from './fingerprint.ts';

describe('sameJson', () => {
  const shared = { rules: [{ index: 0, matches: [{ path: { type: 'PathPrefix', value: '/a' } }] }] };

  it('agrees with comparing fingerprints, whatever the key order', () => {
    const cases: [unknown, unknown][] = [
      [
        { a: 1, b: [1, 2] },
        { b: [1, 2], a: 1 },
      ],
      [{ a: 1, b: undefined }, { a: 1 }],
      [
        [1, undefined],
        [1, null],
      ],
      [{ a: [shared, shared] }, { a: [shared, structuredClone(shared)] }],
      [{ a: 1 }, { a: '1' }],
      [{ a: [1, 2] }, { a: [1, 2, 3] }],
      [{ a: { b: 1 } }, { a: { b: 1, c: 0 } }],
      [{ a: null }, { a: {} }],
      [[], {}],
      [{ when: new Date(0) }, { when: '1970-01-01T00:00:00.000Z' }],
      [
        { rules: [{ index: 0, matches: [{ path: { type: 'PathPrefix', value: '/a' } }] }] },
        { rules: [{ index: 0, matches: [{ path: { type: 'PathPrefix', value: '/b' } }] }] },
      ],
    ];
    for (const [a, b] of cases) {
      const sorted = (value: unknown) => fingerprint(JSON.parse(JSON.stringify(value), sortKeys));
      expect(sameJson(a, b), JSON.stringify([a, b])).toBe(sorted(a) === sorted(b));
      expect(sameJson(b, a)).toBe(sameJson(a, b));
    }
  });

  it('takes an object held by both as equal without reading it', () => {
    let reads = 0;
    const watched = new Proxy(shared, {
      get(target, key, receiver) {
        reads++;
        return Reflect.get(target, key, receiver);
      },
    });
    expect(sameJson({ routes: [watched], name: 'a' }, { name: 'a', routes: [watched] })).toBe(true);
    expect(reads).toBe(0);
  });
});

function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)));
}
