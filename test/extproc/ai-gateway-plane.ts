// One AI Gateway in standalone mode, as the AI end-to-end tests run it: the controller reads Envoy AI Gateway
// manifests and programs a real Envoy (ext_proc filter, its cluster, model routes) and writes the ext_proc
// configuration file; our ext_proc service serves from that file; with `rateLimit`, Envoy's rate limit service
// (fed over xDS by the controller) and Redis count global rate limits. Ready once the Gateway answers /v1/models.
// Everything started is stopped by `stop`, last first. Manifests come from `manifests` given the Gateway's port.
// (Data-plane tests without a controller configure Envoy by hand: envoy-with-extproc.ts.)
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GATEWAY_DEPLOYER } from '../../actors/gateway-deployer/index.ts';
import {
  envoyBackendSpec,
  nodeClusterOf,
  RateLimitServiceFeed,
  XdsServer,
} from '../../backends/envoy/index.ts';
import { type ControlPlane, createControlPlane } from '../../cli/control-plane.ts';
import { fileExtProcConfigPort } from '../../cli/extproc-config-port.ts';
import { resourceKey } from '../../model/resources/resource-key.ts';
import type { ActorSpec } from '../../runtime/ActorSpec.ts';
import { createLogger } from '../../runtime/logger.ts';
import type { Message } from '../../runtime/message.ts';
import { type Envoy, freePort, startEnvoy } from '../harness/envoy/index.ts';
import { eventually } from '../harness/eventually.ts';
import {
  type RateLimitService,
  type Redis,
  startRateLimitService,
  startRedis,
} from '../harness/ratelimit/index.ts';
import { Teardown } from '../harness/teardown.ts';
import { startExtProcService } from './extproc-service.ts';

export interface AiGatewayPlane {
  readonly plane: ControlPlane;
  readonly gatewayPort: number;
  readonly envoy: Envoy;
  /** Stops everything, last started first. */
  stop(): Promise<void>;
}

export interface AiGatewayPlaneOptions {
  /** Names the temporary folder, the Envoy node and the rate limit service. */
  readonly name: string;
  /** The manifests, with the Gateway (`gateway`) listening on `gatewayPort`. */
  readonly manifests: (gatewayPort: number) => string;
  /** The Gateway the Envoy serves; `ai/ai-gateway` (as `aiGateway` declares it) by default. */
  readonly gateway?: { readonly namespace: string; readonly name: string };
  /** How many ext_proc rules the configuration holds once the controller has written it. */
  readonly rules: number;
  /** Start the rate limit service and Redis, and give Envoy the service's address. */
  readonly rateLimit?: boolean;
}

export async function startAiGatewayPlane(options: AiGatewayPlaneOptions): Promise<AiGatewayPlane> {
  const gateway = options.gateway ?? { namespace: 'ai', name: 'ai-gateway' };
  const teardown = new Teardown();
  const stop = () => teardown.run();
  try {
    const dir = await teardown.tempDir(options.name);
    const configPath = join(dir, 'run', 'extproc.yaml');
    const [extProcPort, rlsPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
    await writeFile(join(dir, 'ai.yaml'), options.manifests(gatewayPort));
    const xds = await XdsServer.start({ address: '127.0.0.1:0' });
    teardown.add(() => xds.stop());
    const feed = options.rateLimit === true ? new RateLimitServiceFeed(xds) : undefined;
    let redis: Redis | undefined;
    if (options.rateLimit === true) {
      const started = await startRedis();
      redis = started;
      teardown.add(() => started.close());
    }
    const logger = createLogger({ level: 'silent' });
    const plane = createControlPlane({
      logger,
      flushDelayMs: 20,
      files: { paths: [join(dir, 'ai.yaml')], watch: false },
      extProcConfig: fileExtProcConfigPort(configPath),
      backends: {
        envoy: envoyBackendSpec({
          name: 'backend.envoy',
          deployer: GATEWAY_DEPLOYER,
          xds: feed ?? xds,
          translate: {
            bindAddress: '127.0.0.1',
            extProcAddress: `127.0.0.1:${extProcPort}`,
            ...(feed === undefined ? {} : { rateLimitService: { address: `127.0.0.1:${rlsPort}` } }),
          },
        }) as unknown as ActorSpec<Message>,
      },
    });
    teardown.add(async () => {
      plane.close();
      await plane.system.stop(2_000);
    });
    plane.system.start();
    // As the controller does: proxy reports reach the backend through the feed, which keeps the service's own.
    feed?.onReport((report) => void plane.system.send('backend.envoy', report).catch(() => {}));
    let rateLimitService: RateLimitService | undefined;
    if (feed !== undefined && redis !== undefined) {
      const service = await startRateLimitService({
        name: options.name,
        xdsAddress: xds.address,
        redis,
        grpcPort: rlsPort,
      });
      rateLimitService = service;
      teardown.add(() => service.close());
    }
    // The controller writes the ext_proc configuration; the service is started on it, as in production.
    const extProc = await startExtProcService({
      listen: `127.0.0.1:${extProcPort}`,
      configPath,
      logger,
      ready: (config) => config.rules.length === options.rules,
    });
    teardown.add(() => extProc.stop());
    if (feed !== undefined && rateLimitService !== undefined) {
      const service = rateLimitService;
      await eventually('the rate limit service to accept its configuration', () =>
        feed.revision > 0 && feed.accepted(service.nodeId) === feed.revision ? true : undefined,
      ).catch((error: Error) => {
        throw new Error(
          `${error.message} (revision ${feed.revision}, accepted ${feed.accepted(service.nodeId)})\n${service.logTail(30)}`,
        );
      });
    }
    const envoy = await startEnvoy({
      adsAddress: xds.address,
      nodeId: `${options.name}-envoy`,
      cluster: nodeClusterOf(
        resourceKey('gateway.networking.k8s.io', 'Gateway', gateway.namespace, gateway.name),
      ),
      delta: true,
    });
    teardown.add(() => envoy.stop());
    // GET /v1/models is answered by the service on the first pass: the listener, the filter and the service work.
    let last = '';
    await eventually(
      'the Gateway to answer /v1/models',
      async () => {
        const response = await fetch(`http://127.0.0.1:${gatewayPort}/v1/models`);
        last = `${response.status} ${await response.text()}`;
        return response.status === 200 ? true : undefined;
      },
      30_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last answer: ${last}\n${envoy.log(40)}`);
    });
    return { plane, gatewayPort, envoy, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** GatewayClass `ai` of ours and its Gateway `ai/ai-gateway` with one HTTP listener on `port`. */
export function aiGateway(port: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: ai }
spec: { controllerName: switchyard.dev/gateway-controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ai-gateway, namespace: ai }
spec:
  gatewayClassName: ai
  listeners: [{ name: http, protocol: HTTP, port: ${port} }]
`;
}

/**
 * A provider (in namespace ai unless told) as users declare one: Service `name` (port 443) whose endpoint is a process on this
 * machine at `port`, its Secret `<name>-key` holding `key`, the AIServiceBackend of `schema` and the
 * BackendSecurityPolicy `<name>-key` of `policy` type (APIKey or AnthropicAPIKey) targeting it.
 */
export function localProvider(provider: {
  readonly name: string;
  readonly port: number;
  readonly key: string;
  readonly schema?: 'OpenAI' | 'Anthropic';
  /** All its objects' namespace; ai by default. */
  readonly namespace?: string;
}): string {
  const { name, port, key, schema = 'OpenAI', namespace = 'ai' } = provider;
  const [type, field] =
    schema === 'Anthropic' ? ['AnthropicAPIKey', 'anthropicAPIKey'] : ['APIKey', 'apiKey'];
  return `${localService(name, port, namespace)}---
apiVersion: v1
kind: Secret
metadata: { name: ${name}-key, namespace: ${namespace} }
stringData: { apiKey: ${key} }
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  schema: { name: ${schema} }
  backendRef: { name: ${name}, kind: Service, port: 443 }
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: { name: ${name}-key, namespace: ${namespace} }
spec:
  type: ${type}
  targetRefs: [{ group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: ${name} }]
  ${field}: { secretRef: { name: ${name}-key } }
`;
}

/** Service `name` (port 443) in `namespace` whose endpoint is the process on this machine listening on `port`. */
export function localService(name: string, port: number, namespace = 'ai'): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${namespace} }
spec: { ports: [{ name: http, port: 443 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-1, namespace: ${namespace}, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
endpoints: [{ addresses: [127.0.0.1], conditions: { ready: true } }]
ports: [{ name: http, port: ${port} }]
`;
}

/** A chat completion sent without an SDK (a refusal's status and error message are read as the client got them). */
export async function rawChat(
  gatewayPort: number,
  model: string,
): Promise<{ readonly status: number; readonly message: string | undefined }> {
  const response = await fetch(`http://127.0.0.1:${gatewayPort}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello?' }] }),
  });
  const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
  return { status: response.status, message: body.error?.message };
}
