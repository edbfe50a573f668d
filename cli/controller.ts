import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { GATEWAY_DEPLOYER } from '../actors/gateway-deployer/index.ts';
import { LOCAL_DATA_PLANE, type LocalProxyExited } from '../actors/gateway-deployer/local-data-plane.ts';
import { AgentgatewayXdsServer, agentgatewayBackendSpec } from '../backends/agentgateway/index.ts';
import {
  envoyBackendSpec,
  RateLimitServiceFeed,
  registerXdsMetrics,
  XdsServer,
} from '../backends/envoy/index.ts';
import { type Inspector, InspectorAddressError, startInspector } from '../inspector/index.ts';
import { GROUP_OF_KIND, type KindName } from '../model/resources/kinds.ts';
import { attachRecorder, type CompositionSettings } from '../replay/composition.ts';
import { inspectPlane } from '../replay/driver.ts';
import type { ActorSpec } from '../runtime/ActorSpec.ts';
import type { ActorSystem } from '../runtime/ActorSystem.ts';
import { HealthServer } from '../runtime/HealthServer.ts';
import { createLogger } from '../runtime/logger.ts';
import { MailboxClosedError } from '../runtime/Mailbox.ts';
import type { Message } from '../runtime/message.ts';
import { registerActorMetrics } from '../runtime/metrics.ts';
import { collectWhenSystemQuiet, type QuietCollection } from '../runtime/quiet-collection.ts';
import type { CrdValidator } from '../sources/files/crd-validation/crd-validator.ts';
import { type ApiResource, KubeClient } from '../sources/kubernetes/client.ts';
import { discoverResources } from '../sources/kubernetes/ports.ts';
import {
  type ClusterMode,
  checkClusterModeFlags,
  clusterMode,
  extProcConfigSecretOption,
  mcpConfigSecretOption,
} from './cluster-mode.ts';
import { type Command, CommandError, Interrupted, untilStopped } from './command.ts';
import { type ControlPlane, createControlPlane } from './control-plane.ts';
import {
  envoyTranslateOptions,
  mustExist,
  otlpEndpoint,
  startTracingFromFlags,
  xdsServerCredentials,
} from './controller-flags.ts';
import { CONTROLLER_OPTIONS } from './controller-options.ts';
import { fileExtProcConfigPort } from './extproc-config-port.ts';
import { localEnvoyPorts } from './local-envoy.ts';
import { fileMcpConfigPort } from './mcp-config-port.ts';
import { listenFor, parseAddress, UsageError } from './options.ts';

const ENVOY_BACKEND_ACTOR = 'backend.envoy';
const AGENTGATEWAY_BACKEND_ACTOR = 'backend.agentgateway';

/** `switchyard controller`: runs the control plane until SIGTERM/SIGINT, then stops gracefully. */
export const controllerCommand: Command = {
  name: 'controller',
  summary: 'run the control plane (Kubernetes mode, or standalone on a directory of YAML with --files)',
  usage: 'switchyard controller [--files <dir>] [options]',
  options: CONTROLLER_OPTIONS,
  async run(parsed, io) {
    const values = parsed.values;
    const logger = createLogger({ level: values['log-level'] as string });
    const files = values.files as string | undefined;
    if (values['extproc-config'] !== undefined && files === undefined) {
      throw new UsageError(
        '--extproc-config: the ext_proc configuration is written to a file in standalone mode (--files) only; in a cluster it goes to a Secret (--extproc-config-secret)',
      );
    }
    if (values['extproc-config-secret'] !== undefined && files !== undefined) {
      throw new UsageError(
        '--extproc-config-secret: Kubernetes mode only; in standalone mode use --extproc-config <file>',
      );
    }
    if (values['mcp-config'] !== undefined && files === undefined) {
      throw new UsageError(
        '--mcp-config: the MCP proxy configuration is written to a file in standalone mode (--files) only; in a cluster it goes to a Secret (--mcp-config-secret)',
      );
    }
    if (values['mcp-config-secret'] !== undefined && files !== undefined) {
      throw new UsageError(
        '--mcp-config-secret: Kubernetes mode only; in standalone mode use --mcp-config <file>',
      );
    }
    if (files === undefined) {
      extProcConfigSecretOption(values);
      mcpConfigSecretOption(values);
    }
    if (files !== undefined) mustExist('--files', files);
    if (values['record-secrets'] === true && values.record === undefined)
      throw new UsageError('--record-secrets: only with --record <file.jsonl>, whose secrets it keeps');
    const crdPaths = (values.crds as readonly string[] | undefined) ?? [];
    if (crdPaths.length > 0 && files === undefined) {
      throw new UsageError('--crds: standalone mode (--files) only; in a cluster the API server validates');
    }
    let crds: CrdValidator | undefined;
    let crdNotice: string | undefined;
    if (files !== undefined) {
      try {
        ({ validator: crds, notice: crdNotice } = await (await crdValidation()).loadFilesModeCrds(
          crdPaths,
          io.env,
        ));
      } catch (error) {
        throw new UsageError(`--crds: ${(error as Error).message}`);
      }
    }
    if (values.kubeconfig !== undefined) mustExist('--kubeconfig', values.kubeconfig as string);
    checkClusterModeFlags(values);
    otlpEndpoint(values);
    const xdsAddress = values['xds-address'] as string;
    parseAddress(xdsAddress, '--xds-address');
    const envoyTranslate = envoyTranslateOptions(values);
    const agentgatewayAddress = values['agentgateway-xds-address'] as string;
    if (agentgatewayAddress !== 'off') parseAddress(agentgatewayAddress, '--agentgateway-xds-address');
    const xdsCredentials = xdsServerCredentials(values);
    const envoyXds = await listenFor('--xds-address', xdsAddress, () =>
      XdsServer.start({
        address: xdsAddress,
        ...(xdsCredentials === undefined ? {} : { credentials: xdsCredentials }),
      }),
    );
    const agentgatewayXds =
      agentgatewayAddress === 'off'
        ? undefined
        : // Plaintext: provisioned agentgateway configs reach xDS over http:// (docs/agentgateway-backend.md).
          await listenFor('--agentgateway-xds-address', agentgatewayAddress, () =>
            AgentgatewayXdsServer.start({ address: agentgatewayAddress }),
          ).catch(async (error: unknown) => {
            await envoyXds.stop();
            throw error;
          });
    // The Envoy backend publishes through it, so the rate limit service gets every Gateway's global limits, and
    // its reports come back through it, so a rate limit service's answer reaches the Gateways it concerns.
    const envoyFeed = new RateLimitServiceFeed(envoyXds);
    // Both ADS servers stop together wherever the controller gives up or shuts down.
    const xds = {
      address: envoyXds.address,
      stop: async () => {
        await envoyXds.stop();
        await agentgatewayXds?.stop();
      },
    };
    const backends: Record<string, ActorSpec<Message>> = {
      envoy: envoyBackendSpec({
        name: ENVOY_BACKEND_ACTOR,
        deployer: GATEWAY_DEPLOYER,
        xds: envoyFeed,
        translate: envoyTranslate,
      }) as unknown as ActorSpec<Message>,
      ...(agentgatewayXds === undefined
        ? {}
        : {
            agentgateway: agentgatewayBackendSpec({
              name: AGENTGATEWAY_BACKEND_ACTOR,
              deployer: GATEWAY_DEPLOYER,
              xds: agentgatewayXds,
            }) as unknown as ActorSpec<Message>,
          }),
    };
    const common = {
      logger,
      controllerName: values['controller-name'] as string,
      flushDelayMs: 20,
      backends,
      // Discovery documents are read again every five minutes: a provider that moved an endpoint, or came back.
      oidcDiscovery: { refreshMs: 300_000 },
      // GCP and Azure access tokens are renewed 5 minutes before they expire.
      accessTokens: { renew: true },
    };
    let plane: ControlPlane | undefined;
    let cluster: ClusterMode | undefined;
    let recordedKubernetes: CompositionSettings['kubernetes'];
    const localEnvoy = values['local-envoy'] as string | undefined;
    if (localEnvoy !== undefined && (files === undefined || !existsSync(localEnvoy))) {
      await xds.stop();
      throw new UsageError(
        files === undefined
          ? '--local-envoy: local proxies run in standalone mode (--files) only; in a cluster the data plane is a Deployment'
          : `--local-envoy: no Envoy binary at ${localEnvoy}`,
      );
    }
    const local =
      localEnvoy === undefined
        ? undefined
        : localEnvoyPorts({
            binary: localEnvoy,
            xdsAddress: xds.address,
            logger,
            exited: (gateway, code) => {
              plane?.system
                .send<LocalProxyExited>(LOCAL_DATA_PLANE, { type: 'proxy.exited', gateway, code })
                .catch((error: unknown) => logger.warn({ err: error }, 'proxy exit not delivered'));
            },
          });
    if (files !== undefined) {
      plane = createControlPlane({
        ...common,
        ...(local === undefined ? {} : { localDataPlane: local }),
        files: { paths: [files], watch: true, ...(crds === undefined ? {} : { crds }) },
        ...(values['status-dir'] === undefined ? {} : { statusDir: values['status-dir'] as string }),
        ...(values['extproc-config'] === undefined
          ? {}
          : { extProcConfig: fileExtProcConfigPort(values['extproc-config'] as string) }),
        ...(values['mcp-config'] === undefined
          ? {}
          : { mcpConfig: fileMcpConfigPort(values['mcp-config'] as string) }),
      });
    } else {
      let client: KubeClient;
      let resources: Map<KindName, ApiResource | undefined>;
      const source =
        values.kubeconfig === undefined
          ? 'the in-cluster config or $KUBECONFIG'
          : `--kubeconfig ${values.kubeconfig}`;
      try {
        client = new KubeClient(
          values.kubeconfig === undefined ? {} : { kubeconfig: values.kubeconfig as string },
        );
      } catch (error) {
        await xds.stop();
        throw new UsageError(`${source}: ${(error as Error).message}`);
      }
      try {
        // Ctrl-C while the API server does not answer ends the start-up at once.
        resources = await untilStopped(
          io,
          discoverResources(client, Object.keys(GROUP_OF_KIND) as KindName[]),
        );
      } catch (error) {
        await xds.stop();
        if (error instanceof Interrupted) throw error;
        throw new CommandError(
          `the API server at ${client.serverUrl} (from ${source}) cannot be reached: ${(error as Error).message}`,
        );
      }
      cluster = clusterMode(client, values, logger);
      recordedKubernetes = {
        resources,
        ...(cluster.provisioning === undefined ? {} : { provisioning: cluster.provisioning }),
        leaderElection: cluster.whenLeader !== undefined,
      };
      plane = createControlPlane({
        ...common,
        kubernetes: {
          client,
          resources,
          ...(cluster.provisioning === undefined ? {} : { provisioning: cluster.provisioning }),
          ...(cluster.whenLeader === undefined ? {} : { whenLeader: cluster.whenLeader }),
          ...(cluster.extProcConfigSecret === undefined
            ? {}
            : { extProcConfigSecret: cluster.extProcConfigSecret }),
          ...(cluster.mcpConfigSecret === undefined ? {} : { mcpConfigSecret: cluster.mcpConfigSecret }),
        },
      });
    }
    const record = values.record as string | undefined;
    const recorder =
      record === undefined
        ? undefined
        : attachRecorder(plane.system, {
            file: record,
            maxBytes: values['record-max-bytes'] as number,
            secrets: values['record-secrets'] === true ? 'keep' : 'redact',
            composition: {
              controllerName: common.controllerName,
              flushDelayMs: common.flushDelayMs,
              ...(recordedKubernetes === undefined
                ? { files: { watch: true }, localDataPlane: local !== undefined }
                : { kubernetes: recordedKubernetes }),
              backends: {
                envoy: {
                  name: ENVOY_BACKEND_ACTOR,
                  translate: envoyTranslate,
                },
                ...(agentgatewayXds === undefined
                  ? {}
                  : { agentgateway: { name: AGENTGATEWAY_BACKEND_ACTOR } }),
              },
            },
          });
    let inspector: Inspector | undefined;
    const inspectorAddress = values.inspector as string;
    if (inspectorAddress !== 'off') {
      parseAddress(inspectorAddress, '--inspector');
      try {
        inspector = await listenFor('--inspector', inspectorAddress, () =>
          startInspector({
            system: plane.system,
            ...inspectPlane(() => plane),
            connections: () => [...envoyXds.connections(), ...(agentgatewayXds?.connections() ?? [])],
            served: (gateway) => envoyXds.served(gateway) ?? agentgatewayXds?.served(gateway),
            address: inspectorAddress,
            ...(values['inspector-token'] === undefined
              ? {}
              : { token: values['inspector-token'] as string }),
          }),
        );
      } catch (error) {
        await xds.stop();
        if (error instanceof InspectorAddressError) throw new UsageError(`--inspector: ${error.message}`);
        throw error;
      }
    }
    // A proxy that disconnects while the plane stops (Ctrl-C reaches a local Envoy too) reports to a closed
    // mailbox: nothing is lost then, and it is no warning.
    const undelivered = (error: unknown) => {
      if (!(error instanceof MailboxClosedError)) logger.warn({ err: error }, 'proxy report not delivered');
    };
    envoyFeed.onReport((report) => {
      plane.system.send(ENVOY_BACKEND_ACTOR, report).catch(undelivered);
    });
    agentgatewayXds?.onReport((report) => {
      plane.system.send(AGENTGATEWAY_BACKEND_ACTOR, report).catch(undelivered);
    });
    const system = plane.system;
    const registry = registerActorMetrics(system);
    registerXdsMetrics(envoyXds, registry);
    cluster?.registerMetrics(registry);
    const address = parseAddress(values['http-address'] as string, '--http-address');
    let stopping = false;
    const health = new HealthServer({
      host: address.host,
      port: address.port,
      registry,
      ready: () => !stopping && system.ready,
      explainNotReady: () =>
        system
          .stats()
          .filter((s) => !s.ready)
          .map((s) => `${s.name}: ${s.status} (${s.state})`),
    });
    const bound = await listenFor('--http-address', values['http-address'] as string, () =>
      health.listen(),
    ).catch(async (error: unknown) => {
      plane.close();
      await xds.stop();
      recorder?.close();
      await inspector?.close();
      throw error;
    });
    const tracing = startTracingFromFlags(system, values, logger);
    const quietGc = quietCollection(system, values['quiet-gc'] as number, logger);
    system.start();
    cluster?.start();
    logger.info(
      {
        mode: files === undefined ? 'kubernetes' : 'files',
        xdsAddress: xds.address,
        agentgatewayXdsAddress: agentgatewayXds?.address,
        inspector: inspector?.url,
        record,
        controllerName: values['controller-name'],
        httpAddress: `${bound.address}:${bound.port}`,
      },
      'switchyard controller started',
    );
    // An API server checks every object against its CRD; files mode does too, but an upstream release's CRDs that
    // are neither cached nor fetchable are left out, and a user who does not know takes an accepted object for one
    // a cluster would take.
    if (crdNotice !== undefined) logger.warn(crdNotice);
    if (recorder !== undefined && values['record-secrets'] === true)
      logger.warn(
        `--record-secrets: ${record} holds Secret data, keys and tokens in clear text; keep it like the Secrets themselves and do not share it (without --record-secrets a recording holds markers instead)`,
      );

    const signal = await io.stopRequested;
    // Readiness flips first so load balancers and the Deployment stop routing to us while we drain.
    stopping = true;
    const timeoutMs = (values['shutdown-timeout'] as number) * 1000;
    logger.info({ signal, timeoutMs }, 'stopping');
    plane.close();
    quietGc?.stop();
    // A replica that does not lead gives up waiting for leadership (its writes are skipped) before draining;
    // the leader drains its writes first, then releases the Lease for a quick takeover.
    if (cluster?.elector?.isLeader !== true) await cluster?.stop();
    const { drained } = await system.stop(timeoutMs);
    await cluster?.stop();
    await xds.stop();
    await tracing?.shutdown();
    recorder?.close();
    await inspector?.close();
    await health.close();
    logger.info({ drained }, 'stopped');
    logger.flush();
    return drained ? 0 : 1;
  },
};

/**
 * The memory-reducing collection once the plane turns quiet after a burst (runtime/quiet-collection.ts); logged
 * at debug with what it handed back and took.
 */
function quietCollection(system: ActorSystem, seconds: number, logger: Logger): QuietCollection | undefined {
  if (seconds === 0) return undefined;
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  return collectWhenSystemQuiet(system, seconds * 1000, ({ rssBefore, rssAfter, ms, cpuMs }) =>
    logger.debug(
      {
        rssBeforeMiB: mib(rssBefore),
        rssAfterMiB: mib(rssAfter),
        ms: Math.round(ms),
        cpuMs: Math.round(cpuMs),
      },
      'memory-reducing collection after a quiet period',
    ),
  );
}

/** Loaded in standalone mode only: the CEL evaluator and the CRD reader are large, and a cluster does without them. */
function crdValidation(): Promise<typeof import('../sources/files/crd-validation/load-crds.ts')> {
  return import('../sources/files/crd-validation/load-crds.ts');
}
