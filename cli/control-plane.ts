// The composition root of the control plane: which actors exist, how they are wired, and which ports they use.
// The controller command, `translate`, replay and the tests all build the pipeline here.
import type { Logger } from 'pino';
import {
  ACCESS_TOKENS,
  accessTokensSpec,
  type FetchAccessTokenPort,
} from '../actors/ai-gateway/access-tokens.ts';
import {
  AI_GATEWAY_CONTROLLER,
  AI_GATEWAY_OWNED_KINDS,
  aiGatewayControllerSpec,
  extProcConfigWriterSpec,
} from '../actors/ai-gateway/index.ts';
import { GATEWAY_KINDS, gatewayControllerSpec } from '../actors/gateway/index.ts';
import { GATEWAY_CLASS_KINDS, gatewayClassControllerSpec } from '../actors/gateway-class/index.ts';
import { gatewayDeployerSpec } from '../actors/gateway-deployer/index.ts';
import { LOCAL_DATA_PLANE, localDataPlaneMachine } from '../actors/gateway-deployer/local-data-plane.ts';
import {
  MCP_CONTROLLER,
  MCP_OWNED_KINDS,
  mcpConfigWriterSpec,
  mcpControllerSpec,
} from '../actors/mcp/index.ts';
import {
  fileStatusWriter,
  PATCHED_KINDS,
  patcherSpec,
  type StatusStore,
  type StatusWrite,
} from '../actors/patchers/index.ts';
import { POLICY_CONTROLLER, POLICY_OWNED_KINDS, policyControllerSpec } from '../actors/policies/index.ts';
import { OIDC_DISCOVERY } from '../actors/policies/messages.ts';
import { type FetchDiscoveryPort, oidcDiscoverySpec } from '../actors/policies/oidc-discovery.ts';
import { PROVISIONER } from '../actors/provisioner/index.ts';
import {
  REFERENCE_VALIDATOR,
  RESOLVERS,
  referenceValidatorSpec,
  resolverSpecs,
} from '../actors/reference-validator/index.ts';
import { routeControllerName, routeControllerSpec } from '../actors/route/index.ts';
import { ACCESS_TOKEN_KIND, withAccessTokens } from '../model/ai-gateway/access-tokens.ts';
import { OIDC_DISCOVERY_KIND } from '../model/policies/oidc-discovery.ts';
import { ROUTE_KINDS } from '../model/resources/gateway-api.ts';
import { GROUP_OF_KIND, type KindName } from '../model/resources/kinds.ts';
import { describeResourceKey, type ResourceKey } from '../model/resources/resource-key.ts';
import type { ResourceStore } from '../model/shared/resource-view.ts';
import type { ActorSpec } from '../runtime/ActorSpec.ts';
import type { ActorSystem } from '../runtime/ActorSystem.ts';
import type { Clock } from '../runtime/clock.ts';
import type { IdGenerator } from '../runtime/ids.ts';
import type { Message } from '../runtime/message.ts';
import type { CrdValidator } from '../sources/files/crd-validation/crd-validator.ts';
import { filesSourceMachine, type ProblemObject, type SourceProblem } from '../sources/files/machine.ts';
import { FILES_SOURCE, type FilesChanged } from '../sources/files/messages.ts';
import { type FilesPorts, filesPorts } from '../sources/files/ports.ts';
import { definedAt } from '../sources/files/source-state.ts';
import { refusalText } from '../sources/refusal-text.ts';
import { discardExtProcConfig, type ExtProcConfigPort } from './extproc-config-port.ts';
import { type KubernetesPlaneOptions, spawnKubernetesSources } from './kubernetes-sources.ts';
import type { LocalEnvoyPorts } from './local-envoy.ts';
import { discardMcpConfig, type McpConfigPort } from './mcp-config-port.ts';
import { oidcDiscoveryPort } from './oidc-discovery-port.ts';
import { newPlane, type Plane, type SourceWiring } from './plane.ts';
import { loggingStatusChanges } from './status-log.ts';
export interface ControlPlaneOptions {
  readonly controllerName?: string;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly logger?: Logger;
  /** Standalone mode: manifests under these paths, optionally watched for changes. */
  readonly files?: {
    readonly paths: readonly string[];
    readonly watch: boolean;
    /** Objects the API server would refuse by these CRDs' schemas and validation rules are refused (`--crds`). */
    readonly crds?: CrdValidator;
    /** Tests: wraps the source's ports (to announce changes themselves instead of the file watcher, …). */
    readonly wrapPorts?: (ports: FilesPorts) => FilesPorts;
  };
  /** Kubernetes mode: the API client and where each kind is served (from `discoverResources`). */
  readonly kubernetes?: KubernetesPlaneOptions;
  /** Where standalone statuses are mirrored as YAML. */
  readonly statusDir?: string;
  /** Debounce of the reference validator (ms of the system clock). */
  readonly flushDelayMs?: number;
  /** Standalone mode: ports that run a local Envoy per Gateway (see cli/local-envoy.ts). */
  readonly localDataPlane?: LocalEnvoyPorts;
  /** Where the AI Gateway's ext_proc configuration goes (cli/extproc-config-port.ts); default: nowhere. */
  readonly extProcConfig?: ExtProcConfigPort;
  /** Where the MCP proxy configuration goes (cli/mcp-config-port.ts); default: nowhere. */
  readonly mcpConfig?: McpConfigPort;
  /** Data-plane backends by name (GatewayClassParameters spec.backend) → their actor specs. */
  readonly backends?: Readonly<Record<string, ActorSpec<Message>>>;
  /**
   * OpenID Connect discovery (SecurityPolicy `oidc` without both endpoints): how documents are fetched (default: a
   * GET with Envoy Gateway's 5 s timeout, cli/oidc-discovery-port.ts) and how often they are fetched again (ms of
   * the plane's clock; default never: translate and replay read each once).
   */
  readonly oidcDiscovery?: { readonly fetch?: FetchDiscoveryPort; readonly refreshMs?: number };
  /**
   * GCP and Azure access tokens (cli/access-token-port.ts): the port, whether tokens are renewed before they expire
   * and failed fetches retried (default not: translate and replay fetch each once), and the wait before a retry.
   */
  readonly accessTokens?: {
    readonly fetch?: FetchAccessTokenPort;
    readonly renew?: boolean;
    readonly retryMs?: number;
  };
}

export interface ControlPlane {
  readonly system: ActorSystem;
  readonly store: ResourceStore;
  readonly statuses: StatusStore;
  /**
   * Problems with the input that no status can carry (unreadable files, ignored kinds, objects defined twice,
   * schema failures): de-duplicated, bounded, and forgotten when their file is read again or removed.
   */
  readonly problems: readonly SourceProblem[];
  close(): void;
}

/**
 * The token exchanges (cli/access-token-port.ts, with jose to sign GCP's assertions) loaded when the first token is
 * asked for: `translate` and most planes never ask (bench/translate.startup).
 */
function accessTokenPortOnFirstUse(): FetchAccessTokenPort {
  let port: Promise<FetchAccessTokenPort> | undefined;
  return async (fetch) => {
    port ??= import('./access-token-port.ts').then(({ accessTokenPort }) => accessTokenPort());
    return (await port)(fetch);
  };
}

/** Kind → the controller or resolver that owns it. */
export function kindOwners(): Record<KindName, string> {
  const owners = {} as Record<KindName, string>;
  for (const kind of GATEWAY_CLASS_KINDS) owners[kind] = 'controller.gateway-class';
  for (const kind of GATEWAY_KINDS) owners[kind] = 'controller.gateway';
  for (const kind of ROUTE_KINDS) owners[kind] = routeControllerName(kind);
  for (const kind of AI_GATEWAY_OWNED_KINDS) owners[kind] = AI_GATEWAY_CONTROLLER;
  for (const kind of POLICY_OWNED_KINDS) owners[kind] = POLICY_CONTROLLER;
  for (const kind of MCP_OWNED_KINDS) owners[kind] = MCP_CONTROLLER;
  for (const [resolver, kinds] of Object.entries(RESOLVERS))
    for (const kind of kinds) owners[kind] = resolver;
  return owners;
}

export function createControlPlane(options: ControlPlaneOptions): ControlPlane {
  const plane = newPlane(options);
  const owners = kindOwners();
  const source =
    options.kubernetes !== undefined
      ? spawnKubernetesSources(plane, owners, options.kubernetes)
      : spawnFilesSource(plane, owners, options);
  spawnControllers(
    plane,
    source.extProcConfig ?? options.extProcConfig ?? discardExtProcConfig,
    source.mcpConfig ?? options.mcpConfig ?? discardMcpConfig,
  );
  plane.system.spawn(
    oidcDiscoverySpec(
      {
        view: plane.store,
        store: plane.oidcDiscovery,
        context: { hostDataPlane: source.hostDataPlane },
        dependents: [ACCESS_TOKENS],
        ...(options.oidcDiscovery?.refreshMs === undefined
          ? {}
          : { refreshMs: options.oidcDiscovery.refreshMs }),
      },
      options.oidcDiscovery?.fetch ?? oidcDiscoveryPort(),
    ),
  );
  plane.system.spawn(
    accessTokensSpec(
      {
        view: plane.store,
        store: plane.accessTokens,
        discovery: plane.oidcDiscovery,
        renew: options.accessTokens?.renew === true,
        ...(options.accessTokens?.retryMs === undefined ? {} : { retryMs: options.accessTokens.retryMs }),
      },
      options.accessTokens?.fetch ?? accessTokenPortOnFirstUse(),
    ),
  );
  spawnReferenceValidator(plane, source, options.flushDelayMs ?? 0);
  const backends = spawnBackends(plane, options.backends ?? {});
  if (options.localDataPlane !== undefined) spawnLocalDataPlane(plane, options.localDataPlane);
  spawnGatewayDeployer(plane, backends, options);
  for (const kind of PATCHED_KINDS) {
    const finalizer = kind === 'GatewayClass' ? source.writeFinalizer : undefined;
    plane.system.spawn(patcherSpec(kind, plane.store, source.writeStatus, finalizer));
  }
  return {
    system: plane.system,
    store: plane.store,
    statuses: plane.statuses,
    get problems() {
      return plane.problems.list();
    },
    close: () => {
      for (const close of plane.closers) close();
    },
  };
}

/** Standalone mode: one files source; statuses go to the status store (and `statusDir`). */
function spawnFilesSource(
  plane: Plane,
  owners: Record<KindName, string>,
  options: ControlPlaneOptions,
): SourceWiring {
  if (options.files === undefined) throw new Error('createControlPlane needs a source: files or kubernetes');
  const { system, problems } = plane;
  const realPorts = filesPorts(options.files.paths, () => system.ref<FilesChanged>(FILES_SOURCE), {
    reread: (files) => problems.clearFiles(files),
    ...(options.files.crds === undefined ? {} : { crds: options.files.crds }),
  });
  const ports = options.files.wrapPorts?.(realPorts) ?? realPorts;
  plane.closers.push(() => ports.close());
  system.spawn({
    name: FILES_SOURCE,
    machine: filesSourceMachine,
    input: { routes: owners, watch: options.files.watch },
    mailbox: { capacity: 64 },
    effects: {
      'read-files': ports['read-files'],
      'next-step': ports['next-step'],
      watch: ports.watch,
      'report-problem': plane.report,
    },
  });
  // No API server to read statuses from: the log says when an object stops working, and when it works again.
  const writeStatus = loggingStatusChanges(
    fileStatusWriter(plane.store, plane.statuses, options.statusDir) as (
      write: StatusWrite,
    ) => Promise<unknown>,
    system.logger,
    (key) => definedAt(system.actor(FILES_SOURCE)?.context, key),
  );
  return {
    writeStatus,
    referenceWatchers: {},
    expectedKinds: Object.keys(GROUP_OF_KIND),
    hostDataPlane: true,
  };
}

/** The kind owners (controllers and resolvers) and the ext_proc and MCP proxy configuration writers. */
function spawnControllers(plane: Plane, extProcConfig: ExtProcConfigPort, mcpConfig: McpConfigPort): void {
  const { system, store } = plane;
  system.spawn(gatewayClassControllerSpec(store));
  system.spawn(gatewayControllerSpec(store));
  for (const kind of ROUTE_KINDS) system.spawn(routeControllerSpec(kind, store));
  system.spawn(aiGatewayControllerSpec(store));
  system.spawn(policyControllerSpec(store));
  system.spawn(extProcConfigWriterSpec(extProcConfig));
  system.spawn(mcpControllerSpec(store));
  system.spawn(mcpConfigWriterSpec(mcpConfig));
  for (const spec of resolverSpecs(store)) system.spawn(spec);
}

function spawnReferenceValidator(plane: Plane, source: SourceWiring, flushDelayMs: number): void {
  plane.system.spawn(
    referenceValidatorSpec(
      {
        view: withAccessTokens(plane.store, plane.accessTokens),
        controllerName: plane.controllerName,
        expectedKinds: source.expectedKinds,
        flushDelayMs,
        // Discovery documents are wanted like Secrets in Kubernetes mode, in both modes.
        referenceWatchers: {
          ...source.referenceWatchers,
          [OIDC_DISCOVERY_KIND]: OIDC_DISCOVERY,
          [ACCESS_TOKEN_KIND]: ACCESS_TOKENS,
        },
        oidcDiscovery: plane.oidcDiscovery,
        hostDataPlane: source.hostDataPlane,
        ...(source.gatewayClassFinalizer === undefined
          ? {}
          : { gatewayClassFinalizer: source.gatewayClassFinalizer }),
      },
      {
        // A rejection replaces the object's earlier one; none (read again valid, or deleted) withdraws it.
        'report-rejection': (rejection) => {
          const object = problemObject(rejection.key);
          plane.problems.withdrawObject(object, 'rejected');
          if (rejection.problems.length === 0) return;
          plane.report({
            origin: rejection.origin,
            message: `rejected: ${describeResourceKey(rejection.key)}: ${refusalText(rejection.problems)}`,
            category: 'rejected',
            object,
          });
        },
        // Listed (the inspector shows them on the policy) and logged at each change; withdrawn once fixed.
        'report-policy-problems': ({ key, problems }) => {
          const object = problemObject(key);
          plane.problems.withdrawObject(object, 'policy');
          if (problems.length === 0) return;
          const message = `${describeResourceKey(key)}: ${problems.join('; ')}`;
          plane.problems.add({ origin: describeResourceKey(key), message, category: 'policy', object });
          plane.system.logger.warn({ policy: describeResourceKey(key) }, message);
        },
      },
    ),
  );
}

function problemObject(key: ResourceKey): ProblemObject {
  return {
    kind: key.kind,
    ...(key.namespace === undefined ? {} : { namespace: key.namespace }),
    name: key.name,
  };
}

/** Data-plane backend actors; returns backend name → actor name for the deployer. */
function spawnBackends(
  plane: Plane,
  backends: Readonly<Record<string, ActorSpec<Message>>>,
): Record<string, string> {
  const actors: Record<string, string> = {};
  for (const [backend, spec] of Object.entries(backends)) {
    plane.system.spawn(spec);
    actors[backend] = spec.name;
  }
  return actors;
}

/** Standalone mode with `--local-envoy`: one Envoy process per Gateway. */
function spawnLocalDataPlane(plane: Plane, ports: LocalEnvoyPorts): void {
  plane.closers.push(() => ports.close());
  plane.system.spawn({
    name: LOCAL_DATA_PLANE,
    machine: localDataPlaneMachine,
    input: {},
    mailbox: { capacity: 256 },
    effects: { 'start-proxy': ports['start-proxy'], 'stop-proxy': ports['stop-proxy'] },
  });
}

function spawnGatewayDeployer(
  plane: Plane,
  backends: Record<string, string>,
  options: ControlPlaneOptions,
): void {
  const provisioning = options.kubernetes?.provisioning;
  plane.system.spawn(
    gatewayDeployerSpec({
      view: plane.store,
      controllerName: plane.controllerName,
      backends,
      ...(options.localDataPlane === undefined ? {} : { localDataPlane: LOCAL_DATA_PLANE }),
      ...(provisioning === undefined
        ? {}
        : { provisioning: { provisioner: PROVISIONER, backends: provisioning } }),
    }),
  );
}

export { REFERENCE_VALIDATOR };
