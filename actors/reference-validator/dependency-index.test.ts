import { describe, expect, it } from 'vitest';
import {
  ANY_NAME,
  formatResourceKey,
  GATEWAY_GROUP,
  resourceKey,
} from '../../model/resources/resource-key.ts';
import { DependencyIndex } from './dependency-index.ts';

const gateway = (name: string) => resourceKey(GATEWAY_GROUP, 'Gateway', 'ns', name);
const route = (name: string) => resourceKey(GATEWAY_GROUP, 'HTTPRoute', 'ns', name);
const listenerSet = (name: string) => resourceKey(GATEWAY_GROUP, 'ListenerSet', 'ns', name);

describe('DependencyIndex', () => {
  it('finds the dependents of an object as long as something depends on it, by name or by its kind', () => {
    const index = new DependencyIndex();
    expect(index.dependentsOf(gateway('a'))).toEqual([]);
    index.set(route('r1'), [gateway('a')]);
    index.set(route('r2'), [gateway('a'), gateway('b')]);
    expect(index.dependentsOf(gateway('a'))).toEqual([route('r1'), route('r2')]);
    expect(index.dependentsOf(gateway('b'))).toEqual([route('r2')]);
    // Nothing depends on a route: asked anyway, the answer is empty.
    expect(index.dependentsOf(route('r1'))).toEqual([]);

    index.set(route('r2'), [gateway('a')]);
    expect(index.dependentsOf(gateway('b'))).toEqual([]);
    index.clear(route('r1'));
    index.clear(route('r2'));
    expect(index.dependentsOf(gateway('a'))).toEqual([]);
    // Depended on again after nothing was: found again.
    index.set(route('r3'), [gateway('b')]);
    expect(index.dependentsOf(gateway('b'))).toEqual([route('r3')]);

    // A dependency on every ListenerSet of the namespace reaches each of them.
    index.set(gateway('b'), [resourceKey(GATEWAY_GROUP, 'ListenerSet', 'ns', ANY_NAME)]);
    expect(index.dependentsOf(listenerSet('any'))).toEqual([gateway('b')]);
    expect(index.closure([listenerSet('any')]).size).toBe(3);
    index.clear(gateway('b'));
    expect(index.dependentsOf(listenerSet('any'))).toEqual([]);
  });
});

describe('DependencyIndex dependents by id', () => {
  it('gives the ids of dependentsOf, each one with its key, by name and through a wildcard', () => {
    const index = new DependencyIndex();
    expect([...index.dependentIdsOf(gateway('a'))]).toEqual([]);
    index.set(route('r1'), [gateway('a')]);
    const ids = (key: ReturnType<typeof gateway>) => [...index.dependentIdsOf(key)];
    expect(ids(gateway('a'))).toEqual([formatResourceKey(route('r1'))]);
    index.set(route('r2'), [gateway('a')]);
    expect(ids(gateway('a'))).toEqual([formatResourceKey(route('r1')), formatResourceKey(route('r2'))]);
    expect(ids(gateway('a')).map((id) => index.keyOf(id))).toEqual(index.dependentsOf(gateway('a')));
    index.set(route('r3'), [resourceKey(GATEWAY_GROUP, 'Gateway', 'ns', ANY_NAME)]);
    expect(ids(gateway('a'))).toEqual(['r1', 'r2', 'r3'].map((name) => formatResourceKey(route(name))));
    expect(ids(gateway('b'))).toEqual([formatResourceKey(route('r3'))]);
  });
});

describe('DependencyIndex under churn', () => {
  it('keeps no id of an object that neither depends on anything nor is depended on any more', () => {
    const index = new DependencyIndex();
    index.set(route('kept'), [gateway('a')]);
    // Routes created and deleted under new names, on Gateways that come and go with them.
    for (let i = 0; i < 100; i++) {
      index.set(route(`r${i}`), [gateway('a'), gateway(`g${i}`)]);
      index.set(gateway(`g${i}`), [listenerSet(`s${i}`)]);
      expect(index.clear(route(`r${i}`))).toEqual([gateway('a'), gateway(`g${i}`)]);
      // Still a dependent itself: its key stays until it goes too.
      expect(index.dependenciesOf(gateway(`g${i}`))).toEqual([listenerSet(`s${i}`)]);
      index.clear(gateway(`g${i}`));
    }
    // What is left: the kept route and the Gateway it depends on.
    expect(index.size).toBe(2);
    expect(index.dependentsOf(gateway('a'))).toEqual([route('kept')]);
    expect(index.dependenciesOf(route('kept'))).toEqual([gateway('a')]);
    index.clear(route('kept'));
    expect(index.size).toBe(0);
  });

  it('updates a dependent in place: what stays is written over, not deleted and added again', () => {
    // A Map keeps a deleted entry's slot until it grows: an update of every route that deleted and re-added its
    // entries doubled the index's tables (bench/controlplane.churn). Deletes are counted on every Map it keeps.
    let deletes = 0;
    class CountingMap<K, V> extends Map<K, V> {
      override delete(key: K): boolean {
        deletes++;
        return super.delete(key);
      }
    }
    const index = new DependencyIndex();
    const fields = index as unknown as Record<string, Map<unknown, unknown>>;
    for (const field of ['forward', 'reverse', 'keys', 'dependentKinds', 'dependedOnKinds'])
      fields[field] = new CountingMap(fields[field]);
    index.set(route('r'), [gateway('a'), gateway('b')]);
    for (let i = 0; i < 10; i++) {
      expect(index.set(route('r'), [gateway('a'), gateway('b')])).toEqual([gateway('a'), gateway('b')]);
    }
    expect(deletes).toBe(0);
    expect(index.dependentsOf(gateway('a'))).toEqual([route('r')]);
    // A dependency dropped by an update goes, with its key.
    expect(index.set(route('r'), [gateway('a')])).toEqual([gateway('a'), gateway('b')]);
    expect(index.dependentsOf(gateway('b'))).toEqual([]);
    expect(index.size).toBe(2);
    expect(index.hasDependentsOfKind('HTTPRoute')).toBe(true);
    index.clear(route('r'));
    expect(index.hasDependentsOfKind('HTTPRoute')).toBe(false);
    expect(index.size).toBe(0);
  });
});
