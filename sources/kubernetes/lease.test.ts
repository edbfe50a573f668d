import { afterEach, describe, expect, it } from 'vitest';
import { KubeApiError, type KubeClient } from './client.ts';
import { LeaderElector } from './lease.ts';

/** One Lease with the API server's optimistic concurrency: a write must carry the resourceVersion it read. */
class FakeLeaseApi {
  lease: { metadata: { resourceVersion: string }; spec: Record<string, unknown> } | undefined;
  version = 0;
  failing = false;
  writes = 0;

  async json(method: string, _path: string, body?: string): Promise<unknown> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.failing) throw new Error('connection refused');
    const parsed = body === undefined ? undefined : (JSON.parse(body) as FakeLeaseApi['lease'] & object);
    if (method === 'GET') {
      if (this.lease === undefined) throw new KubeApiError(404, 'NotFound', 'no lease');
      return structuredClone(this.lease);
    }
    if (method === 'POST') {
      if (this.lease !== undefined) throw new KubeApiError(409, 'AlreadyExists', 'exists');
      this.lease = { ...parsed!, metadata: { ...parsed!.metadata, resourceVersion: String(++this.version) } };
      this.writes++;
      return structuredClone(this.lease);
    }
    if (method === 'PUT') {
      if (parsed?.metadata.resourceVersion !== this.lease?.metadata.resourceVersion)
        throw new KubeApiError(409, 'Conflict', 'the object has been modified');
      this.lease = { ...parsed!, metadata: { ...parsed!.metadata, resourceVersion: String(++this.version) } };
      this.writes++;
      return structuredClone(this.lease);
    }
    throw new Error(`unexpected ${method}`);
  }
}

const electors: LeaderElector[] = [];
afterEach(async () => {
  for (const elector of electors.splice(0)) await elector.stop({ release: false });
});

function elector(api: FakeLeaseApi, identity: string): LeaderElector {
  const created = new LeaderElector(api as unknown as KubeClient, {
    namespace: 'ns',
    name: 'lease',
    identity,
    leaseDurationMs: 1_500,
    renewDeadlineMs: 1_000,
    retryPeriodMs: 50,
  });
  electors.push(created);
  return created;
}

describe('LeaderElector', () => {
  it('elects exactly one of two candidates, and the other takes over when the leader dies', async () => {
    const api = new FakeLeaseApi();
    const a = elector(api, 'a');
    const b = elector(api, 'b');
    a.start();
    b.start();
    await expect.poll(() => a.isLeader || b.isLeader, { timeout: 5_000 }).toBe(true);
    // Several renewals later there is still one leader, and it is the Lease's holder.
    const writes = api.writes;
    await expect.poll(() => api.writes, { timeout: 5_000 }).toBeGreaterThan(writes + 3);
    expect(a.isLeader && b.isLeader).toBe(false);
    const [leader, follower] = a.isLeader ? [a, b] : [b, a];
    expect(api.lease?.spec.holderIdentity).toBe(leader.identity);

    const promoted = follower.whenLeader();
    await leader.stop({ release: false });
    await expect(promoted).resolves.toBe(true);
    expect(api.lease?.spec).toMatchObject({ holderIdentity: follower.identity, leaseTransitions: 1 });
  });

  it('releases the Lease on a graceful stop so a candidate takes it without waiting for expiry', async () => {
    const api = new FakeLeaseApi();
    const a = elector(api, 'a');
    a.start();
    await expect(a.whenLeader()).resolves.toBe(true);
    await a.stop();
    expect(api.lease?.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    const b = elector(api, 'b');
    b.start();
    await expect(b.whenLeader()).resolves.toBe(true);
  });

  it('steps down when it cannot renew within the renew deadline, and a non-leader stopping gets false', async () => {
    const api = new FakeLeaseApi();
    const a = elector(api, 'a');
    a.start();
    await expect(a.whenLeader()).resolves.toBe(true);
    api.failing = true;
    await expect.poll(() => a.isLeader, { timeout: 5_000 }).toBe(false);
    const pending = a.whenLeader();
    await a.stop();
    await expect(pending).resolves.toBe(false);
  });
});
