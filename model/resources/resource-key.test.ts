import { describe, expect, it } from 'vitest';
import {
  compareResourceKeys,
  formatResourceKey,
  keyOf,
  parseResourceKey,
  resourceKey,
  sameResourceKey,
} from './resource-key.ts';

describe('ResourceKey', () => {
  it('derives group from apiVersion and has a canonical string form that round-trips', () => {
    const key = keyOf({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'ns' },
    });
    expect(key).toEqual({ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'ns', name: 'gw' });
    expect(formatResourceKey(key)).toBe('gateway.networking.k8s.io/Gateway/ns/gw');
    expect(parseResourceKey(formatResourceKey(key))).toEqual(key);
  });

  it('names the core group "core" and leaves the namespace empty for cluster-scoped objects', () => {
    const secret = keyOf({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' } });
    expect(formatResourceKey(secret)).toBe('core/Secret/ns/s');
    expect(parseResourceKey('core/Secret/ns/s')).toEqual(secret);
    const namespace = resourceKey('', 'Namespace', undefined, 'apps');
    expect(formatResourceKey(namespace)).toBe('core/Namespace//apps');
    expect(parseResourceKey('core/Namespace//apps')).toEqual(namespace);
  });

  it('rejects malformed strings and compares keys by their string form', () => {
    expect(() => parseResourceKey('a/b/c')).toThrow(/group\/kind\/namespace\/name/);
    const a = resourceKey('g', 'K', 'a', 'x');
    const b = resourceKey('g', 'K', 'b', 'x');
    expect(compareResourceKeys(a, b)).toBeLessThan(0);
    expect(compareResourceKeys(b, a)).toBeGreaterThan(0);
    expect(sameResourceKey(a, resourceKey('g', 'K', 'a', 'x'))).toBe(true);
    expect(sameResourceKey(a, b)).toBe(false);
  });

  it('survives objects without metadata', () => {
    expect(keyOf({})).toEqual({ group: '', kind: '', name: '' });
  });
});
