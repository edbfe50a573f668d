// One Gateway's IR → its agentgateway resources (proto3 JSON of each Resource kind, by key). Pure and
// deterministic: the same IR and TLS material give the same resources, so unchanged resources keep their versions.
import type { DataPlaneRefusal, TlsMaterial } from '../../model/ir/backend-contract.ts';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import { BackendSet } from './backends.ts';
import { translatePort } from './listeners.ts';
import type { Json } from './types.ts';

export interface AgentgatewayResources {
  readonly binds: Readonly<Record<string, Json>>;
  readonly listeners: Readonly<Record<string, Json>>;
  /** HTTP and gRPC routes. */
  readonly routes: Readonly<Record<string, Json>>;
  /** TCP and TLS routes. */
  readonly tcpRoutes: Readonly<Record<string, Json>>;
  readonly backends: Readonly<Record<string, Json>>;
  /** Workload Services of InferencePools and their endpoint pickers, by `<namespace>/<hostname>`. */
  readonly services: Readonly<Record<string, Json>>;
  /** Their endpoints, one Workload per IP, by uid. */
  readonly workloads: Readonly<Record<string, Json>>;
  /** The listeners' model tables: one ModelRoute per model of an AIGatewayRoute rule (ai.ts). */
  readonly modelRoutes: Readonly<Record<string, Json>>;
  /** Parts of the IR that could not be programmed, each naming what and why. */
  readonly problems: readonly string[];
  /** Values agentgateway cannot express, on the route rules they belong to (those rules answer 500). */
  readonly unsupported: readonly DataPlaneRefusal[];
}

export function translateGateway(
  ir: GatewayIR,
  tls: Readonly<Record<string, TlsMaterial>>,
): AgentgatewayResources {
  const problems: string[] = [];
  const backends = new BackendSet(problems, {
    tls,
    ...(ir.backendClientCertificate === undefined ? {} : { clientCertificate: ir.backendClientCertificate }),
  });
  const binds: Record<string, Json> = {};
  const listeners: Record<string, Json> = {};
  const routes: Record<string, Json> = {};
  const tcpRoutes: Record<string, Json> = {};
  const modelRoutes: Record<string, Json> = {};
  const byKey = (target: Record<string, Json>, list: readonly Json[]) => {
    for (const resource of list) target[String(resource.key)] = resource;
  };
  for (const port of ir.ports) {
    const translated = translatePort(ir, port, { backends, tls, problems });
    if (translated.bind !== undefined) byKey(binds, [translated.bind]);
    byKey(listeners, translated.listeners);
    byKey(routes, translated.routes);
    byKey(tcpRoutes, translated.tcpRoutes);
    byKey(modelRoutes, translated.modelRoutes);
  }
  return {
    binds,
    listeners,
    routes,
    tcpRoutes,
    backends: backends.resources(),
    services: backends.pools.services(),
    workloads: backends.pools.workloads(),
    modelRoutes,
    problems,
    unsupported: backends.unsupported(),
  };
}
