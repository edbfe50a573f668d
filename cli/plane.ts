// What every part of the control plane shares while createControlPlane wires it (the actor system, the stores, the
// problem list), and what a source's mode adds to the wiring (where writes go, what the reference validator waits for).
import type { Logger } from 'pino';
import { type FinalizerWrite, StatusStore, type StatusWrite } from '../actors/patchers/index.ts';
import { AccessTokenStore } from '../model/ai-gateway/access-tokens.ts';
import { DEFAULT_CONTROLLER_NAME } from '../model/gateway-api/gateway-class.ts';
import { OidcDiscoveryStore } from '../model/policies/oidc-discovery.ts';
import { ResourceStore } from '../model/shared/resource-view.ts';
import { ActorSystem } from '../runtime/ActorSystem.ts';
import type { Clock } from '../runtime/clock.ts';
import type { IdGenerator } from '../runtime/ids.ts';
import type { SourceProblem } from '../sources/files/machine.ts';
import { ProblemBook } from '../sources/problem-book.ts';
import type { ExtProcConfigPort } from './extproc-config-port.ts';
import type { McpConfigPort } from './mcp-config-port.ts';

/** What every part of the plane shares while it is wired. */
export interface Plane {
  readonly controllerName: string;
  readonly system: ActorSystem;
  readonly store: ResourceStore;
  readonly statuses: StatusStore;
  /** The discovery documents read: written by the discovery actor, read by the reference validator. */
  readonly oidcDiscovery: OidcDiscoveryStore;
  /** GCP and Azure access tokens: written by the token actor, read by the reference validator. */
  readonly accessTokens: AccessTokenStore;
  readonly problems: ProblemBook;
  /** Lists a problem with the input (logged once, when it is first listed). */
  readonly report: (problem: SourceProblem) => void;
  /** Ports to close with the plane. */
  readonly closers: (() => void)[];
}

/** Where the source's mode sends writes, and what it adds to the reference validator. */
export interface SourceWiring {
  readonly writeStatus: (write: StatusWrite) => Promise<unknown>;
  readonly writeFinalizer?: (write: FinalizerWrite) => Promise<unknown>;
  readonly gatewayClassFinalizer?: string;
  /** Kubernetes mode: the ext_proc configuration goes to a Secret. */
  readonly extProcConfig?: ExtProcConfigPort;
  /** Kubernetes mode: the MCP proxy configuration goes to a Secret. */
  readonly mcpConfig?: McpConfigPort;
  /** Kubernetes mode: kinds watched by reference → their source, told by the reference validator what to watch. */
  readonly referenceWatchers: Record<string, string>;
  /** The kinds the reference validator waits to be synced: all, or in Kubernetes mode those discovery named. */
  readonly expectedKinds: readonly string[];
  /**
   * Whether the data plane runs on this host: standalone mode (controller --local-envoy, or Envoys started by
   * hand), where a Backend may name loopback addresses and Unix sockets.
   */
  readonly hostDataPlane: boolean;
}

export function newPlane(options: {
  readonly controllerName?: string;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly logger?: Logger;
}): Plane {
  const system = new ActorSystem({
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.ids === undefined ? {} : { ids: options.ids }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const problems = new ProblemBook();
  const report = (problem: SourceProblem) => {
    const admission = problems.add(problem);
    // Logged as listed: one file cannot flood the log, and a problem already reported is not repeated.
    if (admission === 'listed') system.logger.warn({ origin: problem.origin }, problem.message);
  };
  return {
    controllerName: options.controllerName ?? DEFAULT_CONTROLLER_NAME,
    system,
    store: new ResourceStore(),
    statuses: new StatusStore(),
    oidcDiscovery: new OidcDiscoveryStore(),
    accessTokens: new AccessTokenStore(),
    problems,
    report,
    closers: [],
  };
}
