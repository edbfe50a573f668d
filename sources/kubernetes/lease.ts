// Leader election with a coordination.k8s.io/v1 Lease, with the semantics of client-go's leaderelection: a
// candidate takes the Lease when it is free or its holder has not renewed it for leaseDurationSeconds (measured on
// our own clock from when we last saw the record change, so clock skew between replicas does not matter); the
// leader renews it every retry period and steps down when it could not renew for the renew deadline. Every write
// is an update carrying the resourceVersion read, so two candidates never both win. The composition root
// (cli/controller.ts) runs it and gates the API writes on `whenLeader()`; see docs/operations.md.
import { KubeApiError, type KubeClient } from './client.ts';

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  /** This replica's identity in spec.holderIdentity: pod name (or hostname) and pid. */
  readonly identity: string;
  /** Default 15 s. */
  readonly leaseDurationMs?: number;
  /** Default 10 s: a leader that could not renew for this long stops leading. */
  readonly renewDeadlineMs?: number;
  /** Default 2 s: how often the leader renews and a candidate retries. */
  readonly retryPeriodMs?: number;
  /** Leadership gained (true) or lost (false). */
  readonly onChange?: (leading: boolean) => void;
  /** Errors talking to the API server (the election keeps retrying). */
  readonly onError?: (error: unknown) => void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: LeaseSpec;
}

export class LeaderElector {
  private readonly client: KubeClient;
  private readonly options: LeaderElectionOptions;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** While leading: fires when no renewal succeeded for the renew deadline, even if a request hangs. */
  private deadline: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** JSON of the Lease spec last seen, and when (our clock) it last changed. */
  private observed: { json: string; at: number } | undefined;
  private lastRenew = 0;
  private waiters: ((leading: boolean) => void)[] = [];

  constructor(client: KubeClient, options: LeaderElectionOptions) {
    this.client = client;
    this.options = options;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (!(this.leaseDurationMs > this.renewDeadlineMs && this.renewDeadlineMs > this.retryPeriodMs)) {
      throw new Error('leader election: needs lease duration > renew deadline > retry period');
    }
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get identity(): string {
    return this.options.identity;
  }

  /**
   * Resolves true as soon as this replica leads (at once if it does), false when the election stops first: a
   * replica shutting down without leading skips its writes instead of waiting for a leadership it won't get.
   */
  whenLeader(): Promise<boolean> {
    if (this.leading) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Starts trying to acquire, then renewing, the Lease. */
  start(): void {
    if (this.timer !== undefined || this.running !== undefined || this.stopped) return;
    this.tick();
  }

  /**
   * Stops the election; a leader releases the Lease (holder cleared, duration 1 s) so another replica takes
   * over at its next retry instead of waiting for the Lease to expire. Pending `whenLeader` calls get false.
   * `release: false` leaves the Lease as a crashed process would (tests of the takeover).
   */
  async stop(options: { readonly release?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    for (const waiter of this.waiters.splice(0)) waiter(false);
    if (this.leading) {
      this.setLeading(false);
      if (options.release !== false) {
        await this.release().catch((error: unknown) => this.options.onError?.(error));
      }
    }
  }

  private tick(): void {
    this.timer = undefined;
    this.running = this.round()
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.retryPeriodMs);
      });
  }

  private async round(): Promise<void> {
    const now = Date.now();
    let held = false;
    try {
      held = await this.tryAcquireOrRenew(now);
    } catch (error) {
      this.options.onError?.(error);
    }
    if (this.stopped) return;
    if (held) {
      this.lastRenew = now;
      this.setLeading(true);
      if (this.deadline !== undefined) clearTimeout(this.deadline);
      // The deadline counts from the start of the attempt that renewed, as `lastRenew` does.
      this.deadline = setTimeout(
        () => this.setLeading(false),
        Math.max(0, this.renewDeadlineMs - (Date.now() - now)),
      );
    } else if (this.leading && Date.now() - this.lastRenew >= this.renewDeadlineMs) {
      this.setLeading(false);
    } else if (this.leading && !held && this.observed !== undefined) {
      // Someone else holds it now (we read their record): stop at once.
      const holder = (JSON.parse(this.observed.json) as LeaseSpec).holderIdentity;
      if (holder !== undefined && holder !== '' && holder !== this.options.identity) this.setLeading(false);
    }
  }

  /** One attempt; true when we hold the Lease afterwards. */
  private async tryAcquireOrRenew(now: number): Promise<boolean> {
    const path = this.leasePath();
    const current = await this.get(path);
    const stamp = new Date(now).toISOString().replace('Z', '000Z');
    const spec: LeaseSpec = {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.max(1, Math.round(this.leaseDurationMs / 1000)),
      renewTime: stamp,
    };
    if (current === undefined) {
      const lease: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.options.name, namespace: this.options.namespace },
        spec: { ...spec, acquireTime: stamp, leaseTransitions: 0 },
      };
      try {
        await this.client.json('POST', this.collectionPath(), JSON.stringify(lease), this.deadlineSignal());
        return true;
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 409) return false; // someone created it first
        throw error;
      }
    }
    const json = JSON.stringify(current.spec ?? {});
    if (this.observed?.json !== json) this.observed = { json, at: now };
    const holder = current.spec?.holderIdentity ?? '';
    const ours = holder === this.options.identity;
    const durationMs = (current.spec?.leaseDurationSeconds ?? 0) * 1000;
    if (!ours && holder !== '' && this.observed.at + durationMs > now) return false;
    const next: Lease = {
      ...current,
      spec: {
        ...spec,
        acquireTime: ours ? (current.spec?.acquireTime ?? stamp) : stamp,
        leaseTransitions: (current.spec?.leaseTransitions ?? 0) + (ours ? 0 : 1),
      },
    };
    try {
      // PUT with the resourceVersion read: a concurrent writer makes this fail with 409 Conflict.
      const written = (await this.client.json(
        'PUT',
        path,
        JSON.stringify(next),
        this.deadlineSignal(),
      )) as Lease;
      this.observed = { json: JSON.stringify(written.spec ?? {}), at: now };
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 409) return false;
      throw error;
    }
  }

  private async release(): Promise<void> {
    const path = this.leasePath();
    const current = await this.get(path);
    if (current === undefined || current.spec?.holderIdentity !== this.options.identity) return;
    const released: Lease = {
      ...current,
      spec: {
        ...current.spec,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        renewTime: new Date().toISOString().replace('Z', '000Z'),
      },
    };
    await this.client.json('PUT', path, JSON.stringify(released), this.deadlineSignal());
  }

  private setLeading(leading: boolean): void {
    if (!leading && this.deadline !== undefined) {
      clearTimeout(this.deadline);
      this.deadline = undefined;
    }
    if (this.leading === leading) return;
    this.leading = leading;
    if (leading) for (const waiter of this.waiters.splice(0)) waiter(true);
    this.options.onChange?.(leading);
  }

  private async get(path: string): Promise<Lease | undefined> {
    try {
      return (await this.client.json('GET', path, undefined, this.deadlineSignal())) as Lease;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** No Lease request outlives the renew deadline: a hung connection must not stall the election. */
  private deadlineSignal(): AbortSignal {
    return AbortSignal.timeout(this.renewDeadlineMs);
  }

  private collectionPath(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.options.namespace)}/leases`;
  }

  private leasePath(): string {
    return `${this.collectionPath()}/${encodeURIComponent(this.options.name)}`;
  }
}
