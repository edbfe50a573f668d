// What every ADS stream of one proxy shares, whatever its protocol and backend: the Gateway it serves, the
// snapshot it is being brought to, the responses in flight per type (nonce → revision), and the parts of a push
// held back until what was sent before is answered (make-before-break). Reports ACKs and NACKs.
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import { secretValuesIn } from '../../model/shared/secret-fields.ts';
import { shownDataPlaneText } from './data-plane-text.ts';
import type { ResourceRefusal, SessionReport } from './proxy-report.ts';
import type { Snapshot, XdsResource } from './snapshot.ts';

export type Report = (report: SessionReport) => void;

/** Where a session writes its responses: the gRPC stream (its server side). */
export interface ResponseSink<R> {
  write(response: R): unknown;
}

/** Part of a push that waits until everything sent before it is answered (and its own gate opens). */
export interface Stage {
  readonly ready: () => boolean;
  readonly send: () => void;
}

interface InFlight {
  readonly nonce: string;
  readonly revision: number;
  /** Names of the resources the response carried (delta streams), so an answer can settle their refusals. */
  readonly names: readonly string[];
}

/**
 * The secret values each resource holds, found once per resource (an unchanged resource is the same object in
 * every snapshot and candidate of a refusal search).
 */
const secretValuesByResource = new WeakMap<XdsResource, readonly string[]>();

/** A per-resource NACK entry, as a backend reads it from a proxy's error_detail. */
export type PerResourceRefusal = Omit<ResourceRefusal, 'typeUrl'>;

/** Generic over the snapshot and the response message, so every backend's ADS server runs the same logic. */
export abstract class ProxySession<S extends Snapshot, R> {
  readonly gateway: ResourceKey;
  readonly proxy: string;
  protected snapshot: S | undefined;
  readonly #call: ResponseSink<R>;
  readonly #report: Report;
  readonly #nextNonce: () => string;
  readonly #inFlight = new Map<string, InFlight>();
  readonly #lastNonce = new Map<string, string>();
  #stages: Stage[] = [];
  #rejected: number | undefined;
  #reported: number | undefined;
  /** Resources the proxy refused or warned about while applying the rest, by `<type>\0<name>`, until resent. */
  readonly #refusals = new Map<string, ResourceRefusal>();

  constructor(
    call: ResponseSink<R>,
    gateway: ResourceKey,
    proxy: string,
    report: Report,
    nextNonce: () => string,
  ) {
    this.#call = call;
    this.gateway = gateway;
    this.proxy = proxy;
    this.#report = report;
    this.#nextNonce = nextNonce;
  }

  /** A new snapshot of the Gateway (or the current one when the stream opens). */
  abstract push(snapshot: S): void;

  /** Whether the proxy has asked for its top-level type yet: before that it has not taken a whole revision. */
  protected abstract subscribedToListeners(): boolean;

  /** Per type URL the proxy asked for, how many resources it held at its last ACK (for the inspector). */
  abstract acceptedCounts(): Record<string, number>;

  /**
   * The proxy took (ACK) or refused (NACK) what was sent for a type: on a refusal the session goes back to
   * what the proxy held before, so the next push sends it again instead of counting it as held.
   */
  protected abstract answeredType(typeUrl: string, accepted: boolean): void;

  /**
   * A NACK that names the resources it refused, from a data plane that applies the rest of the push (agentgateway):
   * the entries, or undefined when the NACK refuses the whole response (Envoy, or a detail that names nothing).
   */
  protected perResourceRefusals(
    _typeUrl: string,
    _detail: string,
  ): readonly PerResourceRefusal[] | undefined {
    return undefined;
  }

  /** A resource as JSON (an Any's message with its `@type`), to find the secret values a refusal could quote. */
  protected abstract resourceJson(resource: XdsResource): unknown;

  /** A proxy's error text as it may be shown: see data-plane-text.ts. */
  #shown(text: string): string {
    const values = new Set<string>();
    for (const resources of this.snapshot?.types.values() ?? []) {
      for (const resource of resources.values()) {
        let found = secretValuesByResource.get(resource);
        if (found === undefined) {
          found = [...secretValuesIn(this.resourceJson(resource))];
          secretValuesByResource.set(resource, found);
        }
        for (const value of found) values.add(value);
      }
    }
    return shownDataPlaneText(text, values);
  }

  /** Resources a proxy dropped although it took the rest of the response: it does not hold them. */
  protected droppedResources(_typeUrl: string, _names: readonly string[]): void {}

  /** Whether the current snapshot still has a resource (its refusal still stands). */
  protected abstract holdsInSnapshot(typeUrl: string, name: string): boolean;

  /** Records a response about to be written for a type (with the names it carries); returns its nonce. */
  protected sending(typeUrl: string, names: readonly string[] = []): string {
    const nonce = this.#nextNonce();
    this.#lastNonce.set(typeUrl, nonce);
    this.#inFlight.set(typeUrl, { nonce, revision: this.snapshot?.revision ?? 0, names });
    return nonce;
  }

  /** Writes a response to the proxy's stream. */
  protected write(response: R): void {
    this.#call.write(response);
  }

  /** The stages of a push after its first: each goes out once the one before is answered. Replaces any left. */
  protected stagesAfterThis(stages: readonly Stage[]): void {
    this.#stages = [...stages];
  }

  /**
   * Classifies a request by the nonce it answers: an ACK or a NACK (error detail set) of the response in
   * flight, 'stale' when it answers an older response (ignored, as the protocol says), else a plain request.
   */
  protected answered(
    typeUrl: string,
    nonce: string,
    errorDetail: string | undefined,
  ): 'ack' | 'nack' | 'stale' | 'request' {
    if (nonce === '') return 'request';
    if (this.#lastNonce.get(typeUrl) !== nonce) return 'stale';
    const inFlight = this.#inFlight.get(typeUrl);
    if (inFlight === undefined) return 'request';
    this.#inFlight.delete(typeUrl);
    const perResource =
      errorDetail === undefined
        ? undefined
        : this.perResourceRefusals(typeUrl, errorDetail)?.map((r) => ({
            ...r,
            message: this.#shown(r.message),
          }));
    if (errorDetail === undefined || perResource !== undefined) {
      // Taken, apart from what a per-resource NACK names: what was resent settles its earlier refusal.
      this.answeredType(typeUrl, true);
      for (const name of inFlight.names) this.#refusals.delete(`${typeUrl}\0${name}`);
      for (const refusal of perResource ?? [])
        this.#refusals.set(`${typeUrl}\0${refusal.name}`, { typeUrl, ...refusal });
      const dropped = (perResource ?? []).filter((r) => r.severity === 'error').map((r) => r.name);
      if (dropped.length > 0) this.droppedResources(typeUrl, dropped);
      this.settle();
      return 'ack';
    }
    this.answeredType(typeUrl, false);
    this.#rejected = inFlight.revision;
    // The proxy keeps its last accepted config: nothing that builds on the rejected part is sent.
    this.#stages = [];
    this.#report({
      kind: 'rejected',
      gateway: this.gateway,
      proxy: this.proxy,
      revision: inFlight.revision,
      typeUrl,
      detail: this.#shown(errorDetail),
    });
    return 'nack';
  }

  /** Checks whether everything sent is answered: sends held-back stages, or reports the revision reached. */
  protected settle(): void {
    if (this.snapshot === undefined) return;
    while (this.#inFlight.size === 0 && this.#stages.length > 0) {
      if (!this.#stages[0]!.ready()) return;
      this.#stages.shift()!.send();
    }
    if (this.#inFlight.size > 0 || this.#stages.length > 0) return;
    const revision = this.snapshot.revision;
    if (!this.subscribedToListeners()) return;
    if (this.#rejected === revision || this.#reported === revision) return;
    this.#reported = revision;
    const refusals = [...this.#refusals.values()].filter((r) => this.holdsInSnapshot(r.typeUrl, r.name));
    this.#report({
      kind: 'synced',
      gateway: this.gateway,
      proxy: this.proxy,
      revision,
      ...(refusals.length > 0 ? { refusals } : {}),
    });
  }
}
