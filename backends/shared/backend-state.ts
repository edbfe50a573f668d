// What the backend actor keeps per Gateway (the deployer's revision, its proxies and what each took or rejected,
// the recent wire revisions, a refusal search's state) and the BackendGatewayStatus the deployer gets from it: the
// proxies' answers, and what the data plane refused, dropped or cannot express, on the objects concerned.
import type {
  BackendGatewayStatus,
  DataPlaneRefusal,
  ProxyState,
  TlsMaterial,
} from '../../model/ir/backend-contract.ts';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import type { Draft } from '../../runtime/message.ts';
import type { ResourceRefusal } from './proxy-report.ts';
import type { Piece, ResourceOrigin, Search } from './refusal-search.ts';
import { gatewayId } from './snapshot.ts';

export interface GatewayState {
  readonly gateway: ResourceKey;
  /** The deployer's revision. */
  readonly revision: number;
  readonly translated: boolean;
  readonly message?: string;
  readonly proxies: Readonly<Record<string, TrackedProxy>>;
  /** Wire revisions of the recent publishes of deployer revisions, newest last (reports are mapped through it). */
  readonly published: readonly Published[];
  readonly origins?: ReadonlyMap<string, ResourceOrigin>;
  /** A backend that searches refusals: what it offered of the revision, what it dropped, where a search stands. */
  readonly refused?: RefusedPieces;
  /** What translation itself could not give the data plane (a value it cannot express), on the objects concerned. */
  readonly unsupported?: readonly DataPlaneRefusal[];
}

export interface RefusedPieces {
  readonly ir: GatewayIR;
  readonly tls: Readonly<Record<string, TlsMaterial>>;
  /** Pieces of the IR offered to the proxies: all but those dropped before and unchanged since. */
  readonly offered: readonly Piece[];
  /** Pieces left out because the proxies refused them, with the refusal's text. */
  readonly dropped: ReadonlyMap<string, { readonly piece: Piece; readonly message: string }>;
  /**
   * The pieces, with their digests, as the proxies last took them: kept as the list offered (a map by id is built
   * only when a search starts — building one on every ACK cost 10,000 entries a change at 10,000 routes).
   */
  readonly accepted: readonly Piece[];
  /** The search under way, and the refusal that started it. */
  readonly search?: Search;
  readonly cause?: string;
  /** The last wire revision an answer was taken for (one answer per push, whichever proxy gives it). */
  readonly judged: number;
}

export interface Published {
  readonly wire: number;
  readonly revision: number;
}

export interface BackendContext<O> {
  readonly deployer: string;
  readonly translate?: O;
  readonly gateways: Readonly<Record<string, GatewayState>>;
  /** The last wire revision per Gateway id, kept after a Gateway is deleted. */
  readonly wires: Readonly<Record<string, number>>;
}

export interface TrackedProxy extends ProxyState {
  /** Wire revision of the last push it took, and of the last it rejected. */
  readonly ackedWire?: number;
  readonly rejectedWire?: number;
  /** What it dropped or warned about in the push it last took (a data plane that refuses single resources). */
  readonly refusals?: readonly ResourceRefusal[];
}

/** The deployer's revision a wire revision carried, if it is one of the Gateway's recent publishes. */
export function revisionOfWire(state: GatewayState, wire: number): number | undefined {
  return state.published.find((p) => p.wire === wire)?.revision;
}

/** What a search dropped (and found so far), on the routes and listeners the pieces come from. */
export function droppedRefusals(refused: RefusedPieces | undefined): DataPlaneRefusal[] {
  if (refused === undefined) return [];
  const found = refused.search?.refused ?? [];
  // Every piece offered by id only when a search under way found some: a Gateway's statuses are computed on every
  // change and proxy answer, and at 10,000 routes the offered pieces are as many (5 % of the CPU of a change).
  const byId = found.length === 0 ? undefined : new Map(refused.offered.map((p) => [p.id, p]));
  const entries = [
    ...[...refused.dropped.values()].map(({ piece, message }) => ({ origin: piece.origin, message })),
    ...found.map(({ id, message }) => ({ origin: byId!.get(id)!.origin, message })),
  ];
  const out = new Map<string, DataPlaneRefusal>();
  for (const { origin, message } of entries) {
    const refusal: DataPlaneRefusal = { ...origin, severity: 'dropped', message };
    out.set(JSON.stringify(refusal), refusal);
  }
  return [...out.values()];
}

export interface ProxyUpdate {
  readonly gateways: Readonly<Record<string, GatewayState>>;
  readonly status: Draft<BackendGatewayStatus>;
}

/** Applies a change to one proxy of a Gateway we serve; undefined when nothing the deployer sees changed. */
export function updateProxy(
  backend: string,
  context: BackendContext<unknown>,
  gateway: ResourceKey,
  proxy: string,
  change: (old: TrackedProxy | undefined, state: GatewayState) => TrackedProxy | undefined,
): ProxyUpdate | undefined {
  const id = gatewayId(gateway);
  const state = context.gateways[id];
  if (state === undefined) return undefined; // a proxy of a Gateway we do not (or no longer) serve
  const { [proxy]: old, ...others } = state.proxies as Record<string, TrackedProxy>;
  const updated = change(old, state);
  if (updated === undefined && old === undefined) return undefined;
  if (updated !== undefined && old !== undefined && JSON.stringify(updated) === JSON.stringify(old))
    return undefined;
  const next: GatewayState = {
    ...state,
    proxies: updated === undefined ? others : { ...others, [proxy]: updated },
  };
  return { gateways: { ...context.gateways, [id]: next }, status: gatewayStatus(backend, next) };
}

export function gatewayStatus(backend: string, state: GatewayState): Draft<BackendGatewayStatus> {
  const proxies = Object.values(state.proxies).sort((a, b) => (a.proxy < b.proxy ? -1 : 1));
  const refusals = [
    ...(state.unsupported ?? []),
    ...droppedRefusals(state.refused),
    ...refusalsOf(backend, state, proxies),
  ];
  const search = state.refused?.search;
  return {
    type: 'backend.gateway.status',
    backend,
    gateway: state.gateway,
    revision: state.revision,
    translated: state.translated,
    ...(state.message === undefined ? {} : { message: state.message }),
    proxies: proxies.map(({ proxy, ackedRevision, rejection }) => ({
      proxy,
      ...(ackedRevision === undefined ? {} : { ackedRevision }),
      ...(rejection === undefined ? {} : { rejection }),
    })),
    ...(refusals.length > 0 ? { refusals } : {}),
    ...(search === undefined
      ? {}
      : {
          searching: `The proxies refused revision ${state.revision} (${state.refused?.cause}); finding which rules or listeners they refuse: part ${search.steps} of it is pushed`,
        }),
  };
}

/**
 * What the proxies that took the current revision refused of it, on the objects the resources came from: one entry
 * per object, severity and text, naming the proxies that said it.
 */
export function refusalsOf(
  backend: string,
  state: GatewayState,
  proxies: readonly TrackedProxy[],
): DataPlaneRefusal[] {
  const byEntry = new Map<
    string,
    { refusal: Omit<DataPlaneRefusal, 'message'>; text: string; proxies: string[] }
  >();
  for (const proxy of proxies) {
    if (proxy.ackedRevision !== state.revision) continue;
    for (const refused of proxy.refusals ?? []) {
      const origin = state.origins?.get(refused.name);
      const refusal: Omit<DataPlaneRefusal, 'message'> = {
        ...(origin === undefined ? {} : origin),
        severity: refused.severity === 'error' ? 'dropped' : 'warning',
      };
      const text = origin === undefined ? `${refused.name}: ${refused.message}` : refused.message;
      const key = JSON.stringify([refusal, text]);
      const entry = byEntry.get(key) ?? { refusal, text, proxies: [] };
      entry.proxies.push(proxy.proxy);
      byEntry.set(key, entry);
    }
  }
  return [...byEntry.values()].map(({ refusal, text, proxies: said }) => ({
    ...refusal,
    message: `${backend} proxy ${said.join(', ')}: ${text}`,
  }));
}
