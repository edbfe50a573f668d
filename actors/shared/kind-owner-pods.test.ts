// Pods are the one input whose status is what matters (IPs, readiness): a change there is announced, other
// status churn (timestamps, container states) is not.
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { RawObject } from '../../model/resources/resource-events.ts';
import { ResourceStore } from '../../model/shared/resource-view.ts';
import { kindOwnerMachine } from './kind-owner.ts';

const pod = (ready: boolean, extra: Record<string, unknown> = {}): RawObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'vllm-0', namespace: 'apps', labels: { app: 'vllm' } },
  status: {
    podIP: '10.1.0.1',
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    ...extra,
  },
});

describe('kind owner of Pods', () => {
  it('announces readiness and IP changes, not other status churn', () => {
    const store = new ResourceStore();
    const actor = createActor(kindOwnerMachine, { input: { kinds: ['Pod'], store } }).start();
    const announced: unknown[] = [];
    actor.on('*', (emitted) => announced.push(emitted));
    const upsert = (object: RawObject) =>
      actor.send({ type: 'resource.upserted', object, origin: 'test', meta: { id: 'm', time: 0 } } as never);
    upsert(pod(false));
    expect(announced).toHaveLength(1);
    upsert(pod(false, { startTime: '2026-01-01T00:00:00Z' }));
    expect(announced).toHaveLength(1);
    upsert(pod(true));
    expect(announced).toHaveLength(2);
    upsert(pod(true, { podIP: '10.1.0.2' }));
    expect(announced).toHaveLength(3);
    expect(store.get('Pod', 'apps', 'vllm-0')?.status?.podIP).toBe('10.1.0.2');
  });
});
