import { describe, expect, it } from 'vitest';
import type { Condition } from '../resources/kubernetes.ts';
import { condition, findCondition, isSpecCondition, mergeConditions } from './conditions.ts';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';

describe('mergeConditions', () => {
  it('stamps new conditions with now and the generation', () => {
    const out = mergeConditions(undefined, [condition('Accepted', 'True', 'Accepted', 'ok')], 'Gateway', {
      generation: 3,
      now: T0,
    });
    expect(out).toEqual([
      {
        type: 'Accepted',
        status: 'True',
        reason: 'Accepted',
        message: 'ok',
        lastTransitionTime: T0,
        observedGeneration: 3,
      },
    ]);
  });

  it('keeps lastTransitionTime while the status is unchanged, even if reason and generation change', () => {
    const before = mergeConditions(undefined, [condition('Accepted', 'True', 'Accepted', 'ok')], 'Gateway', {
      generation: 1,
      now: T0,
    });
    const same = mergeConditions(
      before,
      [condition('Accepted', 'True', 'ListenersNotValid', 'some')],
      'Gateway',
      { generation: 2, now: T1 },
    );
    expect(same[0]).toMatchObject({
      reason: 'ListenersNotValid',
      lastTransitionTime: T0,
      observedGeneration: 2,
    });
    const flipped = mergeConditions(
      same,
      [condition('Accepted', 'False', 'ListenersNotValid', 'none')],
      'Gateway',
      { generation: 3, now: T1 },
    );
    expect(flipped[0]).toMatchObject({ status: 'False', lastTransitionTime: T1, observedGeneration: 3 });
  });

  it('keeps conditions of types it does not own and drops owned types no longer desired', () => {
    const previous: Condition[] = [
      { type: 'example.com/Healthy', status: 'True', reason: 'Fine', message: '', lastTransitionTime: T0 },
      {
        type: 'OverlappingTLSConfig',
        status: 'True',
        reason: 'OverlappingHostnames',
        message: '',
        lastTransitionTime: T0,
      },
    ];
    const out = mergeConditions(previous, [condition('Accepted', 'True', 'Accepted', 'ok')], 'Listener', {
      generation: 1,
      now: T1,
    });
    expect(out.map((c) => c.type)).toEqual(['Accepted', 'example.com/Healthy']);
    expect(findCondition(out, 'example.com/Healthy')).toBe(previous[0]);
  });
});

describe('isSpecCondition', () => {
  it('knows which reasons belong to which condition type', () => {
    expect(isSpecCondition('RouteParent', { type: 'Accepted', reason: 'NoMatchingParent' })).toBe(true);
    expect(isSpecCondition('RouteParent', { type: 'ResolvedRefs', reason: 'NoMatchingParent' })).toBe(false);
    expect(isSpecCondition('Listener', { type: 'Conflicted', reason: 'HostnameConflict' })).toBe(true);
    expect(isSpecCondition('Gateway', { type: 'Ready', reason: 'Ready' })).toBe(false);
  });
});
