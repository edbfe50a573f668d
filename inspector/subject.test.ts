import { describe, expect, it } from 'vitest';
import type { Message } from '../runtime/message.ts';
import { resourceSubject } from './subject.ts';

const meta = { id: 'm-1', time: 0 };

describe('resource subject of a message', () => {
  it('names the resource a message carries by key, gateway or object — nothing of its data', () => {
    const status = {
      type: 'status.desired',
      meta,
      key: { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'apps', name: 'web' },
    };
    expect(resourceSubject(status as Message)).toBe('HTTPRoute apps/web');
    const resolved = {
      type: 'gateway.resolved',
      meta,
      gateway: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'apps', name: 'edge' },
    };
    expect(resourceSubject(resolved as Message)).toBe('Gateway apps/edge');
    const secret = {
      type: 'resource.upserted',
      meta,
      object: {
        kind: 'Secret',
        metadata: { name: 'tls', namespace: 'apps' },
        data: { 'tls.key': 'c2VjcmV0' },
      },
    };
    expect(resourceSubject(secret as Message)).toBe('Secret apps/tls');
    const cluster = {
      type: 'resource.deleted',
      meta,
      key: { group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'switchyard' },
    };
    expect(resourceSubject(cluster as Message)).toBe('GatewayClass switchyard');
    const watched = {
      type: 'watch.event',
      meta,
      watch: 1,
      event: { type: 'ADDED', object: { kind: 'HTTPRoute', metadata: { name: 'web', namespace: 'apps' } } },
    };
    expect(resourceSubject(watched as Message)).toBe('HTTPRoute apps/web');
    const failedWatch = {
      type: 'watch.event',
      meta,
      watch: 1,
      event: { type: 'ERROR', object: { code: 410 } },
    };
    expect(resourceSubject(failedWatch as Message)).toBeUndefined();
    expect(resourceSubject({ type: 'validator.flush', meta })).toBeUndefined();
  });

  it('names every resource of a batch, so filtering by any of them finds it', () => {
    const route = (name: string) => ({ kind: 'HTTPRoute', metadata: { name, namespace: 'apps' } });
    const upserted = {
      type: 'resources.upserted',
      meta,
      objects: [
        { object: route('web'), origin: 'a.yaml:1' },
        { object: route('api'), origin: 'a.yaml:9' },
      ],
    };
    expect(resourceSubject(upserted as Message)).toBe('HTTPRoute apps/web, HTTPRoute apps/api');
    const key = (name: string) => ({
      group: 'gateway.networking.k8s.io',
      kind: 'HTTPRoute',
      namespace: 'apps',
      name,
    });
    const changed = {
      type: 'resources.changed',
      meta,
      changes: [{ key: key('web'), dependsOn: [], lookupKeys: [key('web')], deleted: false }],
    };
    expect(resourceSubject(changed as Message)).toBe('HTTPRoute apps/web');
    const statuses = {
      type: 'statuses.desired',
      meta,
      statuses: [
        { key: key('web'), status: {} },
        { key: key('api'), status: {} },
      ],
    };
    expect(resourceSubject(statuses as Message)).toBe('HTTPRoute apps/web, HTTPRoute apps/api');
  });
});
