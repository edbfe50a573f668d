import { describe, expect, it } from 'vitest';
import { evaluateAll } from '../evaluation/full-evaluation.ts';
import { evaluateRoute, type RouteEvaluation } from '../gateway-api/route-status.ts';
import type { InferencePool } from '../resources/inference.ts';
import type { Pod } from '../resources/kubernetes.ts';
import { keyOf } from '../resources/resource-key.ts';
import { findCondition } from '../shared/conditions.ts';
import type { ResourceStore } from '../shared/resource-view.ts';
import { CONTROLLER, LATER, NOW, storeOf } from '../testdata/fixtures.ts';
import {
  isPodReady,
  podLookupKeys,
  podSelectorKey,
  poolEndpoints,
  resolveEndpointPicker,
} from './pool-members.ts';
import {
  computeInferencePoolStatus,
  type InferencePoolParentStatus,
  type InferencePoolStatus,
  mergeInferencePoolParents,
} from './pool-status.ts';

function evaluations(store: ResourceStore): RouteEvaluation[] {
  return store
    .list('HTTPRoute')
    .map((route) => evaluateRoute(route, store, { controllerName: CONTROLLER, now: NOW }));
}

function poolStatus(store: ResourceStore, name: string, now = NOW): InferencePoolStatus {
  const pool = store.get('InferencePool', 'apps', name);
  if (pool === undefined) throw new Error(`no pool ${name}`);
  return computeInferencePoolStatus(pool, store, evaluations(store), { controllerName: CONTROLLER, now });
}

function ours(status: InferencePoolStatus, gateway: string): InferencePoolParentStatus | undefined {
  return status.parents.find((p) => p.controllerName === CONTROLLER && p.parentRef.name === gateway);
}

describe('InferencePool members', () => {
  const store = storeOf('base.yaml', 'inference-pools.yaml');

  it('takes ready, not terminating Pods matching the selector, every IP × every target port', () => {
    expect(poolEndpoints(store, 'apps', { app: 'vllm' }, [8000, 8001])).toEqual([
      { address: '10.1.0.1', port: 8000 },
      { address: '10.1.0.1', port: 8001 },
      { address: '10.1.0.2', port: 8000 },
      { address: '10.1.0.2', port: 8001 },
      { address: 'fd00::2', port: 8000 },
      { address: 'fd00::2', port: 8001 },
    ]);
    expect(poolEndpoints(store, 'apps', {}, [8000])).toEqual([]);
    expect(poolEndpoints(store, 'infra', { app: 'vllm' }, [8000])).toEqual([]);
  });

  it('reads readiness defensively', () => {
    const pod = (status: unknown) =>
      ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, status }) as Pod;
    expect(isPodReady(pod(undefined))).toBe(false);
    expect(isPodReady(pod({ conditions: 'x' }))).toBe(false);
    expect(isPodReady(pod({ conditions: [{ type: 'Ready', status: 'True' }] }))).toBe(false); // no IP
    expect(isPodReady(pod({ podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] }))).toBe(
      true,
    );
  });

  it('finds a pool from a Pod change through one label pair of its selector', () => {
    const pod = store.get('Pod', 'apps', 'vllm-1')!;
    const lookup = podLookupKeys(pod, keyOf(pod)).map((k) => k.name);
    expect(lookup).toEqual(['vllm-1', 'app=vllm', 'tier=gpu']);
    expect(podSelectorKey('apps', { tier: 'gpu', app: 'vllm' }).name).toBe('app=vllm');
    expect(podSelectorKey('apps', {}).name).toBe('*');
  });
});

describe('endpoint picker reference', () => {
  const store = storeOf('base.yaml', 'inference-pools.yaml');

  it('resolves a Service port to the ready endpoints of its slices', () => {
    expect(resolveEndpointPicker(store, 'apps', { name: 'vllm-epp', port: { number: 9002 } })).toMatchObject({
      ok: true,
      port: 9002,
      endpoints: [{ address: '10.2.0.1', port: 9003 }],
    });
  });

  it('names the field and the fix for every invalid reference', () => {
    const problem = (ref: Parameters<typeof resolveEndpointPicker>[2]) => {
      const result = resolveEndpointPicker(store, 'apps', ref);
      return result?.ok === false ? result.message : result;
    };
    expect(problem(undefined)).toBeUndefined();
    expect(problem({ name: 'missing-epp', port: { number: 9002 } })).toBe(
      'spec.endpointPickerRef.name: Service apps/missing-epp not found',
    );
    expect(problem({ name: 'vllm-epp' })).toBe('spec.endpointPickerRef.port: required for a Service');
    expect(problem({ name: 'vllm-epp', port: { number: 1 } })).toBe(
      'spec.endpointPickerRef.port: Service apps/vllm-epp has no port 1',
    );
    expect(problem({ group: 'example.com', kind: 'Picker', name: 'x' })).toBe(
      'spec.endpointPickerRef: example.com/Picker is not supported; use a Service',
    );
  });
});

describe('InferencePool status', () => {
  const store = storeOf('base.yaml', 'inference-pools.yaml');

  // InferencePoolAccepted, InferencePoolResolvedRefsCondition (two Gateways)
  it('is Accepted and ResolvedRefs per Gateway whose accepted route uses it, keeping other controllers', () => {
    const status = poolStatus(store, 'vllm');
    expect(status.parents.map((p) => [p.controllerName, p.parentRef.name])).toEqual([
      ['example.com/other-controller', 'elsewhere'],
      [CONTROLLER, 'primary'],
      [CONTROLLER, 'secondary'],
    ]);
    const primary = ours(status, 'primary')!;
    expect(primary.parentRef).toEqual({
      group: 'gateway.networking.k8s.io',
      kind: 'Gateway',
      namespace: 'infra',
      name: 'primary',
    });
    expect(findCondition(primary.conditions, 'Accepted')).toMatchObject({
      status: 'True',
      reason: 'Accepted',
      observedGeneration: 2,
      lastTransitionTime: NOW,
    });
    expect(findCondition(primary.conditions, 'ResolvedRefs')).toMatchObject({
      status: 'True',
      reason: 'ResolvedRefs',
    });
  });

  // InferencePoolInvalidEPPService
  it('says InvalidExtensionRef when the picker Service does not exist', () => {
    const resolved = findCondition(ours(poolStatus(store, 'bad-epp'), 'primary')?.conditions, 'ResolvedRefs');
    expect(resolved).toMatchObject({ status: 'False', reason: 'InvalidExtensionRef' });
    expect(resolved?.message).toContain('Service apps/missing-epp not found');
  });

  // InferencePoolMissingEPPRef: accepted, load-balanced without a picker
  it('accepts a pool without endpointPickerRef and says how it is load-balanced', () => {
    const accepted = findCondition(ours(poolStatus(store, 'no-epp'), 'primary')?.conditions, 'Accepted');
    expect(accepted).toMatchObject({ status: 'True', reason: 'Accepted' });
    expect(accepted?.message).toContain('without endpointPickerRef');
  });

  it('says HTTPRouteNotAccepted for a Gateway that rejects the only route using the pool there', () => {
    const accepted = findCondition(ours(poolStatus(store, 'no-epp'), 'secondary')?.conditions, 'Accepted');
    expect(accepted).toMatchObject({ status: 'False', reason: 'HTTPRouteNotAccepted' });
  });

  // HTTPRouteInvalidInferencePoolRef
  it('leaves the route ResolvedRefs=False/BackendNotFound for a missing pool', () => {
    const route = store.get('HTTPRoute', 'apps', 'to-missing-pool')!;
    const evaluation = evaluateRoute(route, store, { controllerName: CONTROLLER, now: NOW });
    expect(findCondition(evaluation.parents[0]?.status.conditions, 'Accepted')).toMatchObject({
      status: 'True',
    });
    expect(findCondition(evaluation.parents[0]?.status.conditions, 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'BackendNotFound',
    });
  });

  it('has no parents of ours when no route uses it, and drops ours once the routes go', () => {
    expect(poolStatus(store, 'unused').parents).toEqual([]);
    const pool = store.get('InferencePool', 'apps', 'vllm')!;
    const withOurs = { ...pool, status: poolStatus(store, 'vllm') } as InferencePool;
    const after = computeInferencePoolStatus(withOurs, store, [], { controllerName: CONTROLLER, now: LATER });
    expect(after.parents.map((p) => p.controllerName)).toEqual(['example.com/other-controller']);
  });

  it('keeps lastTransitionTime while a condition stays, and restamps it on change', () => {
    const pool = store.get('InferencePool', 'apps', 'vllm')!;
    const previous = { ...pool, status: poolStatus(store, 'vllm') } as InferencePool;
    const again = computeInferencePoolStatus(previous, store, evaluations(store), {
      controllerName: CONTROLLER,
      now: LATER,
    });
    expect(findCondition(ours(again, 'primary')?.conditions, 'Accepted')?.lastTransitionTime).toBe(NOW);
    const broken = {
      ...previous,
      spec: { ...previous.spec, endpointPickerRef: { name: 'gone', port: { number: 9002 } } },
    } as InferencePool;
    const changed = computeInferencePoolStatus(broken, store, evaluations(store), {
      controllerName: CONTROLLER,
      now: LATER,
    });
    expect(findCondition(ours(changed, 'primary')?.conditions, 'ResolvedRefs')).toMatchObject({
      status: 'False',
      lastTransitionTime: LATER,
    });
  });

  it('comes with the statuses of a whole evaluation (translate, replay) for the pools we report on', () => {
    const all = evaluateAll(store, { controllerName: CONTROLLER, now: NOW });
    const pools = [...all.statuses.keys()].filter((k) => k.includes('/InferencePool/'));
    expect(pools).toEqual([
      'inference.networking.k8s.io/InferencePool/apps/bad-epp',
      'inference.networking.k8s.io/InferencePool/apps/no-epp',
      'inference.networking.k8s.io/InferencePool/apps/vllm',
    ]);
    expect(all.statuses.get(pools[2]!)).toEqual(poolStatus(store, 'vllm'));
  });

  it('merges our entries in place and never touches others', () => {
    const entry = (controllerName: string, name: string, message = ''): InferencePoolParentStatus => ({
      parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name },
      controllerName,
      conditions:
        message === ''
          ? []
          : [{ type: 'Accepted', status: 'True', reason: 'Accepted', message, lastTransitionTime: NOW }],
    });
    const merged = mergeInferencePoolParents(
      [entry(CONTROLLER, 'b', 'old'), entry('other/x', 'a'), entry(CONTROLLER, 'gone')],
      [entry(CONTROLLER, 'c'), entry(CONTROLLER, 'b', 'new')],
      CONTROLLER,
    );
    expect(merged.map((p) => [p.controllerName, p.parentRef.name, p.conditions[0]?.message ?? ''])).toEqual([
      [CONTROLLER, 'b', 'new'],
      ['other/x', 'a', ''],
      [CONTROLLER, 'c', ''],
    ]);
    expect(mergeInferencePoolParents('junk' as never, [], CONTROLLER)).toEqual([]);
  });

  it('never throws on malformed pools', () => {
    for (const spec of [undefined, null, {}, { selector: 'x', targetPorts: 'y', endpointPickerRef: 3 }]) {
      const pool = {
        apiVersion: 'inference.networking.k8s.io/v1',
        kind: 'InferencePool',
        metadata: { name: 'm', namespace: 'apps' },
        spec,
        status: { parents: 'bad' },
      } as unknown as InferencePool;
      expect(() =>
        computeInferencePoolStatus(pool, store, evaluations(store), { controllerName: CONTROLLER, now: NOW }),
      ).not.toThrow();
    }
  });
});
