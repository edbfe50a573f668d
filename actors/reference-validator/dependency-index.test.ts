import { describe, expect, it } from 'vitest';
import { ANY_NAME, GATEWAY_GROUP, resourceKey } from '../../model/resources/resource-key.ts';
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
});
