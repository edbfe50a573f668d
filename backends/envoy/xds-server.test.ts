import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DiscoveryRequest, type DiscoveryResponse, TYPE_URL } from '../../protos/index.ts';
import type { ProxyReport } from './proxy-report.ts';
import { AdsTestClient, type AdsTestStream } from './testdata/ads-test-client.ts';
import { gatewayIR, gatewayKey, listener, port, route, rule, service } from './testdata/gateway-ir.ts';
import { translateGateway } from './translate-gateway.ts';
import { XdsServer } from './xds-server.ts';

const gw = gatewayKey('gw');
const other = gatewayKey('other');
const node = (id: string, cluster = 'default/gw') => ({ id, cluster, user_agent_name: 'test' });

/** One HTTP port routing everything to the Service `backend`. */
function resourcesFor(backend: string, gateway = gw, endpointPort = 9000) {
  return translateGateway(
    gatewayIR(
      [
        port(80, [
          listener('web', 'HTTP', [route('r', [rule([service(backend, [endpointPort])])])], { gateway }),
        ]),
      ],
      gateway,
    ),
    {},
  );
}

/** Sends a state-of-the-world request as Envoy does: an ACK of `answering` when given, else a first request. */
function sotwRequest(
  stream: AdsTestStream<DiscoveryRequest, DiscoveryResponse>,
  type_url: string,
  resource_names: string[],
  answering?: { version_info: string; nonce: string },
): void {
  stream.send({
    node: node('envoy'),
    type_url,
    resource_names,
    version_info: answering?.version_info ?? '',
    response_nonce: answering?.nonce ?? '',
  });
}

const CDS = TYPE_URL.cluster;
const EDS = TYPE_URL.clusterLoadAssignment;
const LDS = TYPE_URL.listener;
const RDS = TYPE_URL.routeConfiguration;

describe('XdsServer', () => {
  let server: XdsServer;
  let client: AdsTestClient;
  let reports: ProxyReport['type'][];

  beforeEach(async () => {
    server = await XdsServer.start({ address: '127.0.0.1:0' });
    client = new AdsTestClient(server.address);
    reports = [];
    // Connections are reported too; these tests follow what proxies answer.
    server.onReport((report) => {
      if (report.type !== 'envoy.proxy.connected') reports.push(report.type);
    });
  });

  afterEach(async () => {
    client.close();
    await server.stop();
  });

  it('ends the stream of a node whose cluster does not name a Gateway, saying how to fix it', async () => {
    const stream = client.delta();
    stream.send({ node: { id: 'x', cluster: 'not-a-gateway', user_agent_name: 'test' }, type_url: CDS });
    await expect(stream.next()).rejects.toThrow(/node.cluster must be '<namespace>\/<gateway>'/);
  });

  it('pushes (delta) only to the proxies of the Gateway that changed, and only what changed', async () => {
    server.publish(gw, 1, resourcesFor('a'));
    server.publish(other, 1, resourcesFor('a', other));
    const stream = client.delta();
    stream.send({ node: node('p1'), type_url: CDS });
    const first = await stream.next();
    expect(first.resources.map((r) => r.name)).toEqual(['service/default/a/8080']);
    stream.send({ type_url: CDS, response_nonce: first.nonce });
    server.publish(other, 2, resourcesFor('b', other));
    expect(await stream.quietFor(200)).toBe(true);
    server.publish(gw, 2, resourcesFor('a')); // same resources: nothing to send
    expect(await stream.quietFor(200)).toBe(true);
    server.publish(gw, 3, resourcesFor('b'));
    const added = await stream.next();
    expect(added.resources.map((r) => r.name)).toEqual(['service/default/b/8080']);
    expect(added.removed_resources).toEqual([]);
    stream.close();
  });

  it('honours initial_resource_versions: a reconnecting proxy gets only what it does not hold', async () => {
    server.publish(gw, 1, resourcesFor('a'));
    const first = client.delta();
    first.send({ node: node('p1'), type_url: CDS });
    const held = await first.next();
    first.close();
    const versions = Object.fromEntries(held.resources.map((r) => [r.name, r.version]));

    const again = client.delta();
    again.send({ node: node('p1'), type_url: CDS, initial_resource_versions: versions });
    const answer = await again.next();
    expect(answer.resources).toEqual([]);
    expect(answer.removed_resources).toEqual([]);
    again.close();

    const stale = client.delta();
    stale.send({
      node: node('p1'),
      type_url: CDS,
      initial_resource_versions: { 'service/default/a/8080': 'old', gone: 'v' },
    });
    const refreshed = await stale.next();
    expect(refreshed.resources.map((r) => r.name)).toEqual(['service/default/a/8080']);
    expect(refreshed.removed_resources).toEqual(['gone']);
    stale.close();
  });

  it('orders a delta push make-before-break: clusters, endpoints, then listeners and routes, then removals', async () => {
    server.publish(gw, 1, resourcesFor('a'));
    const stream = client.delta();
    // Play Envoy's start-up: CDS, EDS for its clusters, then LDS and RDS, ACKing each.
    stream.send({ node: node('envoy'), type_url: CDS });
    const cds = await stream.next();
    stream.send({ type_url: EDS, resource_names_subscribe: ['service/default/a/8080'] });
    stream.send({ type_url: CDS, response_nonce: cds.nonce });
    const eds = await stream.next();
    stream.send({ type_url: EDS, response_nonce: eds.nonce });
    stream.send({ type_url: LDS });
    const lds = await stream.next();
    stream.send({ type_url: RDS, resource_names_subscribe: ['http/80'] });
    stream.send({ type_url: LDS, response_nonce: lds.nonce });
    const rds = await stream.next();
    stream.send({ type_url: RDS, response_nonce: rds.nonce });
    await expect.poll(() => reports).toEqual(['envoy.proxy.synced']);

    server.publish(gw, 2, resourcesFor('b'));
    const newCluster = await stream.next();
    expect([
      newCluster.type_url,
      newCluster.resources.map((r) => r.name),
      newCluster.removed_resources,
    ]).toEqual([CDS, ['service/default/b/8080'], []]);
    // Routes wait until the proxy holds the new cluster's endpoints.
    stream.send({ type_url: CDS, response_nonce: newCluster.nonce });
    expect(await stream.quietFor(200)).toBe(true);
    stream.send({ type_url: EDS, resource_names_subscribe: ['service/default/b/8080'] });
    const newEndpoints = await stream.next();
    expect([
      newEndpoints.type_url,
      newEndpoints.resources.map((r) => r.name),
      newEndpoints.removed_resources,
    ]).toEqual([EDS, ['service/default/b/8080'], []]);
    stream.send({ type_url: EDS, response_nonce: newEndpoints.nonce });
    const routes = await stream.next();
    expect([routes.type_url, routes.resources.map((r) => r.name)]).toEqual([RDS, ['http/80']]);
    stream.send({ type_url: RDS, response_nonce: routes.nonce });
    const removedEndpoints = await stream.next();
    const removedClusters = await stream.next();
    expect([removedEndpoints.type_url, removedEndpoints.removed_resources]).toEqual([
      EDS,
      ['service/default/a/8080'],
    ]);
    expect([removedClusters.type_url, removedClusters.removed_resources]).toEqual([
      CDS,
      ['service/default/a/8080'],
    ]);
    stream.send({ type_url: EDS, response_nonce: removedEndpoints.nonce });
    stream.send({ type_url: CDS, response_nonce: removedClusters.nonce });
    await expect.poll(() => reports).toEqual(['envoy.proxy.synced', 'envoy.proxy.synced']);
    stream.close();
  });

  it('keeps clusters going away in a state-of-the-world set until the routes moved, and sends nothing after a NACK', async () => {
    server.publish(gw, 1, resourcesFor('a'));
    const stream = client.sotw();
    const names = (...backends: string[]) => backends.map((b) => `service/default/${b}/8080`);
    /** Sends a request (an ACK of `answering` when given) and returns the next response. */
    const exchange = async (
      type_url: string,
      resource_names: string[],
      answering?: { version_info: string; nonce: string },
    ) => {
      sotwRequest(stream, type_url, resource_names, answering);
      return stream.next();
    };
    const ack = (
      type_url: string,
      resource_names: string[],
      response: { version_info: string; nonce: string },
    ) =>
      stream.send({
        type_url,
        resource_names,
        version_info: response.version_info,
        response_nonce: response.nonce,
      });
    const cds = await exchange(CDS, []);
    ack(CDS, [], cds);
    const eds = await exchange(EDS, names('a'));
    ack(EDS, names('a'), eds);
    const lds = await exchange(LDS, []);
    ack(LDS, [], lds);
    const rds = await exchange(RDS, ['http/80']);
    ack(RDS, ['http/80'], rds);

    server.publish(gw, 2, resourcesFor('b'));
    const both = await stream.next();
    expect([both.type_url, both.resources.length]).toEqual([CDS, 2]);
    ack(CDS, [], both);
    // Routes wait until the proxy asked for, and took, the new cluster's endpoints.
    expect(await stream.quietFor(200)).toBe(true);
    const endpoints = await exchange(EDS, names('a', 'b'), eds);
    expect(endpoints.resources).toHaveLength(2);
    ack(EDS, names('a', 'b'), endpoints);
    const routes = await stream.next();
    expect(routes.type_url).toBe(RDS);
    ack(RDS, ['http/80'], routes);
    const final = await stream.next();
    expect([final.type_url, final.resources.length]).toEqual([CDS, 1]);
    ack(CDS, [], final);

    server.publish(gw, 3, resourcesFor('c'));
    const three = await stream.next();
    ack(CDS, [], three);
    const endpoints3 = await exchange(EDS, names('b', 'c'), endpoints);
    ack(EDS, names('b', 'c'), endpoints3);
    const rejected = await stream.next();
    expect(rejected.type_url).toBe(RDS);
    stream.send({
      type_url: RDS,
      version_info: routes.version_info,
      resource_names: ['http/80'],
      response_nonce: rejected.nonce,
      error_detail: { code: 3, message: 'route rejected', details: [] },
    });
    // The proxy keeps its old routes, so the cluster they use is not removed.
    expect(await stream.quietFor(300)).toBe(true);
    await expect.poll(() => reports.at(-1)).toBe('envoy.proxy.rejected');
    stream.close();
  });

  it('does not answer a state-of-the-world subscription to no names: the push that emptied it counts as taken', async () => {
    const synced: number[] = [];
    server.onReport((report) => {
      if (report.type === 'envoy.proxy.synced') synced.push(report.revision);
    });
    server.publish(gw, 1, resourcesFor('a'));
    const stream = client.sotw();
    const request = (
      type_url: string,
      resource_names: string[],
      answering?: { version_info: string; nonce: string },
    ) => sotwRequest(stream, type_url, resource_names, answering);
    request(CDS, []);
    const cds = await stream.next();
    request(CDS, [], cds);
    request(EDS, ['service/default/a/8080']);
    const eds = await stream.next();
    request(EDS, ['service/default/a/8080'], eds);
    request(LDS, []);
    const lds = await stream.next();
    request(LDS, [], lds);
    request(RDS, ['http/80']);
    const rds = await stream.next();
    request(RDS, ['http/80'], rds);
    await expect.poll(() => synced).toEqual([1]);

    // The listener loses its only route: no cluster is left, so Envoy drops its endpoint subscription.
    server.publish(
      gw,
      2,
      translateGateway(gatewayIR([port(80, [listener('web', 'HTTP', [], { gateway: gw })])], gw), {}),
    );
    const routes = await stream.next();
    expect(routes.type_url).toBe(RDS);
    request(RDS, ['http/80'], routes);
    const clusters = await stream.next();
    expect([clusters.type_url, clusters.resources]).toEqual([CDS, []]);
    request(CDS, [], clusters);
    request(EDS, [], eds);
    // Envoy has no endpoint watch left to ACK an answer with: none is sent, and the push is taken.
    expect(await stream.quietFor(200)).toBe(true);
    await expect.poll(() => synced).toEqual([1, 2]);
    stream.close();
  });

  it('sends a refused resource again with the next push instead of counting it as held', async () => {
    server.publish(gw, 1, resourcesFor('a'));
    const stream = client.delta();
    stream.send({ node: node('envoy'), type_url: LDS });
    const refused = await stream.next();
    expect(refused.resources.map((r) => r.name)).toEqual(['tcp/80']);
    stream.send({
      type_url: LDS,
      response_nonce: refused.nonce,
      error_detail: { code: 3, message: 'no', details: [] },
    });
    await expect.poll(() => reports).toEqual(['envoy.proxy.rejected']);
    server.publish(gw, 2, resourcesFor('a'));
    const again = await stream.next();
    expect(again.resources.map((r) => r.name)).toEqual(['tcp/80']);
    stream.send({ type_url: LDS, response_nonce: again.nonce });
    await expect.poll(() => reports).toEqual(['envoy.proxy.rejected', 'envoy.proxy.synced']);
    stream.close();
  });

  it('lists every open stream with its protocol and what the proxy held at its last ACK, per type', async () => {
    server.publish(gw, 1, resourcesFor('a'));
    const delta = client.delta();
    delta.send({ node: node('p-delta'), type_url: CDS });
    const clusters = await delta.next();
    delta.send({ type_url: CDS, response_nonce: clusters.nonce });
    delta.send({ type_url: LDS });
    const listeners = await delta.next();
    // Listeners sent but not ACKed yet: not counted as held.
    await expect
      .poll(() => server.connections().find((c) => c.proxy === 'p-delta')?.accepted)
      .toEqual({ [CDS]: 1, [LDS]: 0 });
    delta.send({ type_url: LDS, response_nonce: listeners.nonce });
    const sotw = client.sotw();
    sotw.send({
      node: node('p-sotw'),
      type_url: CDS,
      resource_names: [],
      version_info: '',
      response_nonce: '',
    });
    await sotw.next();
    await expect
      .poll(() => server.connections().sort((a, b) => a.proxy.localeCompare(b.proxy)))
      .toEqual([
        { gateway: gw, proxy: 'p-delta', protocol: 'delta', accepted: { [CDS]: 1, [LDS]: 1 } },
        { gateway: gw, proxy: 'p-sotw', protocol: 'sotw', accepted: { [CDS]: 0 } },
      ]);
    delta.close();
    sotw.close();
    await expect.poll(() => server.connections()).toEqual([]);
  });

  it('removes a withdrawn Gateway’s configuration from its proxies', async () => {
    server.publish(gw, 1, resourcesFor('a'));
    const stream = client.delta();
    stream.send({ node: node('envoy'), type_url: LDS });
    const listeners = await stream.next();
    stream.send({ type_url: LDS, response_nonce: listeners.nonce });
    server.withdraw(gw, 2);
    const removed = await stream.next();
    expect([removed.type_url, removed.resources, removed.removed_resources]).toEqual([LDS, [], ['tcp/80']]);
    expect(server.snapshot(gw)).toBeUndefined();
    stream.close();
  });

  it('gives a reconnecting state-of-the-world proxy the current snapshot', async () => {
    server.publish(gw, 1, resourcesFor('a'));
    server.publish(gw, 2, resourcesFor('b'));
    const stream = client.sotw();
    stream.send({ node: node('envoy'), type_url: CDS, version_info: 'from-before', response_nonce: '17' });
    const cds = await stream.next();
    expect(cds.resources).toHaveLength(1);
    expect(server.snapshot(gw)?.revision).toBe(2);
    stream.close();
  });

  it('serves api listeners for proxyless gRPC clients by name only', async () => {
    const resources = translateGateway(
      gatewayIR([
        port(80, [
          listener('web', 'HTTP', [
            route('g', [rule([service('g', [9000])], { matches: [{ method: { service: 'pkg.Svc' } }] })], {
              kind: 'GRPCRoute',
              hostnames: ['g.example.com'],
            }),
          ]),
        ]),
      ]),
      {},
    );
    server.publish(gw, 1, resources);
    const envoy = client.sotw();
    envoy.send({ node: node('envoy'), type_url: LDS });
    expect((await envoy.next()).resources).toHaveLength(1);
    const grpc = client.sotw();
    grpc.send({ node: node('grpc'), type_url: LDS, resource_names: ['g.example.com:80'] });
    const named = await grpc.next();
    expect(named.resources).toHaveLength(1);
    envoy.close();
    grpc.close();
  });
});
