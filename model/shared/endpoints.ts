// The ready endpoints of a Service port, read from its EndpointSlices (discovery.k8s.io/v1).

import type { Endpoint } from '../ir/backends.ts';
import type { EndpointSlice, ServicePort } from '../resources/kubernetes.ts';

/** Ready endpoints for one Service port: endpoints whose `ready` is not false, on the slice port of the same name. */
export function readyEndpoints(slices: readonly EndpointSlice[], servicePort: ServicePort): Endpoint[] {
  const portName = servicePort.name ?? '';
  const out = new Map<string, Endpoint>();
  for (const slice of slices) {
    const slicePort = (Array.isArray(slice.ports) ? slice.ports : []).find(
      (p) => (p?.name ?? '') === portName,
    );
    const port =
      slicePort?.port ?? (typeof servicePort.targetPort === 'number' ? servicePort.targetPort : undefined);
    if (typeof port !== 'number') continue;
    for (const endpoint of Array.isArray(slice.endpoints) ? slice.endpoints : []) {
      if (endpoint?.conditions?.ready === false) continue;
      for (const address of Array.isArray(endpoint?.addresses) ? endpoint.addresses : []) {
        if (typeof address === 'string') out.set(`${address}:${port}`, { address, port });
      }
    }
  }
  return [...out.values()].sort((a, b) =>
    a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port,
  );
}
