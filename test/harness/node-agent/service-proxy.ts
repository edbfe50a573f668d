// Services on the node, in place of kube-proxy and a cloud load balancer: for every TCP port of a Service a
// listener on its cluster IP, and for a LoadBalancer Service also on an address of the run's load-balancer range,
// written to status.loadBalancer.ingress (ipMode Proxy: connections are proxied, the client address is not
// kept). Each connection goes to a ready endpoint of the Service's EndpointSlices, round robin; with none
// ready it is closed at once, as an iptables REJECT would. UDP ports are not served (nothing here needs them).
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import {
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1EndpointSlice,
  type V1Service,
  type V1ServicePort,
} from '@kubernetes/client-node';
import type { RunNetwork } from './network.ts';

interface Listener {
  readonly server: Server;
  readonly address: string;
  readonly port: number;
  servicePort: V1ServicePort;
  service: string;
  next: number;
}

export class ServiceProxy {
  private readonly kubeConfig: KubeConfig;
  private readonly network: RunNetwork;
  private readonly core: CoreV1Api;
  private readonly listeners = new Map<string, Listener>();
  private readonly loadBalancerAddress = new Map<string, string>();
  private readonly endpointSlices = new Map<string, V1EndpointSlice>();
  private services?: ReturnType<typeof makeInformer<V1Service>>;
  private slices?: ReturnType<typeof makeInformer<V1EndpointSlice>>;
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly onError: (error: Error) => void;
  private readonly connections = new Set<Socket>();

  constructor(kubeConfig: KubeConfig, network: RunNetwork, onError: (error: Error) => void = () => {}) {
    this.kubeConfig = kubeConfig;
    this.network = network;
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.onError = onError;
  }

  async start(): Promise<void> {
    const discovery = this.kubeConfig.makeApiClient(DiscoveryV1Api);
    const slices = makeInformer<V1EndpointSlice>(
      this.kubeConfig,
      '/apis/discovery.k8s.io/v1/endpointslices',
      () => discovery.listEndpointSliceForAllNamespaces(),
    );
    slices.on('add', (slice) => this.endpointSlices.set(objectKey(slice), slice));
    slices.on('update', (slice) => this.endpointSlices.set(objectKey(slice), slice));
    slices.on('delete', (slice) => this.endpointSlices.delete(objectKey(slice)));
    this.restartOnError(slices);
    this.slices = slices;
    await slices.start();
    const services = makeInformer<V1Service>(this.kubeConfig, '/api/v1/services', () =>
      this.core.listServiceForAllNamespaces(),
    );
    services.on('add', (service) => this.enqueue(() => this.sync(service)));
    services.on('update', (service) => this.enqueue(() => this.sync(service)));
    services.on('delete', (service) => this.enqueue(() => this.remove(objectKey(service))));
    this.restartOnError(services);
    this.services = services;
    await services.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.services?.stop();
    await this.slices?.stop();
    await this.queue;
    for (const listener of this.listeners.values()) listener.server.close();
    this.listeners.clear();
    for (const socket of this.connections) socket.destroy();
  }

  private restartOnError(informer: {
    on(event: 'error', cb: () => void): void;
    start(): Promise<void>;
  }): void {
    informer.on('error', () => {
      if (!this.stopped)
        setTimeout(() => void informer.start().catch((error: Error) => this.onError(error)), 500);
    });
  }

  private enqueue(work: () => Promise<void>): void {
    this.queue = this.queue.then(work).catch((error: Error) => this.onError(error));
  }

  private async sync(service: V1Service): Promise<void> {
    if (this.stopped) return;
    const key = objectKey(service);
    const wanted = new Map<string, { address: string; port: V1ServicePort }>();
    const clusterIP = service.spec?.clusterIP;
    const ports = (service.spec?.ports ?? []).filter((port) => (port.protocol ?? 'TCP') === 'TCP');
    if (clusterIP && clusterIP !== 'None') {
      for (const port of ports) wanted.set(`${clusterIP}:${port.port}`, { address: clusterIP, port });
    }
    let loadBalancer: string | undefined;
    if (service.spec?.type === 'LoadBalancer') {
      loadBalancer = this.loadBalancerAddress.get(key) ?? (await this.network.allocateLoadBalancerAddress());
      this.loadBalancerAddress.set(key, loadBalancer);
      for (const port of ports) wanted.set(`${loadBalancer}:${port.port}`, { address: loadBalancer, port });
    }
    for (const [id, listener] of this.listeners) {
      if (listener.service === key && !wanted.has(id)) {
        this.listeners.delete(id);
        // Stops accepting; connections already proxied go on, as conntrack entries outlive a rule.
        listener.server.close();
      }
    }
    for (const [id, { address, port }] of wanted) {
      const existing = this.listeners.get(id);
      if (existing) {
        existing.servicePort = port;
        continue;
      }
      if (address === clusterIP) await this.network.addHostAddress(address);
      this.listeners.set(id, await this.listen(key, address, port));
    }
    if (loadBalancer && service.status?.loadBalancer?.ingress?.[0]?.ip !== loadBalancer) {
      await this.core.patchNamespacedServiceStatus(
        {
          name: service.metadata!.name!,
          namespace: service.metadata!.namespace!,
          body: { status: { loadBalancer: { ingress: [{ ip: loadBalancer, ipMode: 'Proxy' }] } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
  }

  private async remove(key: string): Promise<void> {
    for (const [id, listener] of this.listeners) {
      if (listener.service !== key) continue;
      this.listeners.delete(id);
      listener.server.close();
    }
    const loadBalancer = this.loadBalancerAddress.get(key);
    this.loadBalancerAddress.delete(key);
    if (loadBalancer) await this.network.removeHostAddress(loadBalancer);
  }

  private listen(service: string, address: string, servicePort: V1ServicePort): Promise<Listener> {
    const server = createServer({ pauseOnConnect: true });
    const listener: Listener = { server, address, port: servicePort.port, servicePort, service, next: 0 };
    server.on('connection', (client) => {
      const endpoints = this.readyEndpoints(service, listener.servicePort);
      if (endpoints.length === 0) {
        client.resetAndDestroy();
        return;
      }
      const endpoint = endpoints[listener.next++ % endpoints.length]!;
      const upstream = tcpConnect({ host: endpoint.address, port: endpoint.port });
      this.connections.add(client);
      this.connections.add(upstream);
      upstream.once('connect', () => {
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.on('error', () => client.resetAndDestroy());
      client.on('error', () => upstream.destroy());
      upstream.on('close', () => {
        this.connections.delete(upstream);
        client.destroy();
      });
      client.on('close', () => {
        this.connections.delete(client);
        upstream.destroy();
      });
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port: servicePort.port }, () => {
        server.off('error', reject);
        server.on('error', (error) => this.onError(error));
        resolve(listener);
      });
    });
  }

  private readyEndpoints(service: string, servicePort: V1ServicePort): { address: string; port: number }[] {
    const [namespace, name] = service.split('/');
    const endpoints: { address: string; port: number }[] = [];
    for (const slice of this.endpointSlices.values()) {
      if (slice.metadata?.namespace !== namespace) continue;
      if (slice.metadata?.labels?.['kubernetes.io/service-name'] !== name) continue;
      const port = slice.ports?.find(
        (candidate) => (candidate.name ?? '') === (servicePort.name ?? ''),
      )?.port;
      if (port === undefined) continue;
      for (const endpoint of slice.endpoints ?? []) {
        if (endpoint.conditions?.ready === false) continue;
        for (const address of endpoint.addresses) endpoints.push({ address, port });
      }
    }
    return endpoints;
  }
}

function objectKey(object: { metadata?: { namespace?: string; name?: string } }): string {
  return `${object.metadata?.namespace}/${object.metadata?.name}`;
}
