// Route controllers: one actor per route kind (HTTP, GRPC, TLS, TCP, UDP), all running the same logic; the
// per-kind rules (listener protocols, filters) live in model/gateway-api/route-kinds.ts.

import type { RouteKind } from '../../model/resources/gateway-api.ts';
import type { ResourceStore } from '../../model/shared/resource-view.ts';
import { kindOwnerSpec } from '../shared/kind-owner-spec.ts';

export function routeControllerName(kind: RouteKind): string {
  return `controller.${kind.toLowerCase()}`;
}

export function routeControllerSpec(kind: RouteKind, store: ResourceStore) {
  return kindOwnerSpec(routeControllerName(kind), [kind], store);
}
