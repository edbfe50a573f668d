import { describe, expect, it } from 'vitest';
import { createParentLookup } from '../../model/gateway-api/attachment.ts';
import type { HTTPRoute } from '../../model/resources/gateway-api.ts';
import { GATEWAY_GROUP, keyOf } from '../../model/resources/resource-key.ts';
import { ResourceStore } from '../../model/shared/resource-view.ts';
import { DependencyIndex } from './dependency-index.ts';
import { RouteEvaluations } from './route-evaluations.ts';

const CONTROLLER = 'switchyard.dev/gateway-controller';

const route = (name: string, path: string) =>
  ({
    apiVersion: `${GATEWAY_GROUP}/v1`,
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'apps' },
    spec: {
      parentRefs: [{ name: 'gw' }],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: path } }] }],
    },
  }) as HTTPRoute;

function evaluations() {
  const store = new ResourceStore();
  const cache = new RouteEvaluations({
    view: store,
    index: new DependencyIndex(),
    controllerName: CONTROLLER,
    hostDataPlane: false,
    counters: { routesEvaluated: 0 },
  });
  const evaluate = (object: HTTPRoute) =>
    cache.of(keyOf(object), '1970-01-01T00:00:00Z', createParentLookup(store, CONTROLLER));
  return { store, cache, evaluate };
}

describe('route evaluations', () => {
  it('writes a changed route over its entry instead of deleting it and adding it again', () => {
    // A Map keeps a deleted entry's slot until its table is rebuilt: a churn of updates that dropped each route's
    // evaluation and cached the next doubled the cache's table (bench/controlplane.churn). Deletes are counted.
    const { store, cache, evaluate } = evaluations();
    let deletes = 0;
    class CountingMap<K, V> extends Map<K, V> {
      override delete(key: K): boolean {
        deletes++;
        return super.delete(key);
      }
    }
    const fields = cache as unknown as Record<string, Map<unknown, unknown>>;
    expect(fields.cache).toBeInstanceOf(Map);
    fields.cache = new CountingMap(fields.cache);
    for (let i = 0; i < 10; i++) {
      const changed = route('web', `/v${i}`);
      store.upsert(changed);
      cache.drop(keyOf(changed));
      expect(cache.cached('gateway.networking.k8s.io/HTTPRoute/apps/web')).toBeUndefined();
      expect(evaluate(changed)?.rules[0]?.matches).toEqual([
        { path: { type: 'PathPrefix', value: `/v${i}` } },
      ]);
    }
    // 10 before, 0 now.
    expect(deletes).toBe(0);
    // A route that is gone goes from the cache.
    store.delete(keyOf(route('web', '/')));
    cache.drop(keyOf(route('web', '/')));
    expect(deletes).toBe(1);
    expect(fields.cache?.size).toBe(0);
  });
});
