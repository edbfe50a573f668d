// Route controllers: one actor per route kind (HTTP, GRPC, TLS, TCP, UDP), all running the same logic; the
// per-kind rules (listener protocols, filters) live in model/route-kinds.ts.
import type { ResourceStore } from '../../model/resource-view.ts';
import type { RouteKind } from '../../model/resources.ts';
import { kindOwnerSpec } from '../shared/kind-owner-spec.ts';

export function routeControllerName(kind: RouteKind): string {
  return `controller.${kind.toLowerCase()}`;
}

export function routeControllerSpec(kind: RouteKind, store: ResourceStore) {
  return kindOwnerSpec(routeControllerName(kind), [kind], store);
}
