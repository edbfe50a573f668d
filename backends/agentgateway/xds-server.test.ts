// The agentgateway backend end to end over real gRPC: the actor in an actor system, its delta ADS server, and a
// client speaking our protos as an agentgateway proxy would (subscribe, ACK, NACK, reconnect).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BackendGatewayStatus } from '../../model/ir/backend-contract.ts';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import { AGENTGATEWAY_TYPE_URL, agentgatewayApi } from '../../protos/agentgateway-api.ts';
import type { ActorSystem } from '../../runtime/ActorSystem.ts';
import type { AdsTestClient } from '../envoy/testdata/ads-test-client.ts';
import {
  gatewayIR,
  gatewayKey,
  invalidBackend,
  listener,
  port,
  route,
  rule,
  service,
} from '../envoy/testdata/gateway-ir.ts';
import type { AgentgatewayBackendMessage } from './agentgateway-backend.ts';
import { type AgentgatewayHarness, proxyNode, startAgentgatewayHarness } from './testdata/harness.ts';
import { SOTW_NOT_SUPPORTED } from './xds-server.ts';

const RESOURCE = AGENTGATEWAY_TYPE_URL.resource;
const ADDRESS = AGENTGATEWAY_TYPE_URL.address;
const gw = gatewayKey('gw');
const other = gatewayKey('other');

const node = proxyNode;

/** What agentgateway started without its pod variables sends, whichever proxy it is. */
function podlessNode(gateway = 'gw') {
  return {
    id: 'agentgateway~1.1.1.1~.~.svc.cluster.local',
    cluster: '',
    user_agent_name: 'agentgateway',
    metadata: {
      fields: {
        NAME: { stringValue: '' },
        GATEWAY_NAME: { stringValue: gateway },
        NAMESPACE: { stringValue: 'default' },
      },
    },
  };
}

/** One HTTP port on `portNumber` routing everything to Service `backend`. */
function irFor(backend: string, gateway = gw, portNumber = 80): GatewayIR {
  return gatewayIR(
    [
      port(portNumber, [
        listener('web', 'HTTP', [route('r', [rule([service(backend, [9000])])])], { gateway }),
      ]),
    ],
    gateway,
  );
}

describe('agentgateway delta ADS server and backend actor', () => {
  let client: AdsTestClient;
  let system: ActorSystem;
  let statuses: BackendGatewayStatus[];

  let harness: AgentgatewayHarness;
  const change = (ir: GatewayIR, revision: number) => harness.change(ir, revision);
  const latest = (gateway = gw) =>
    statuses.filter((s) => s.gateway.name === gateway.name).at(-1) as BackendGatewayStatus | undefined;

  beforeEach(async () => {
    harness = await startAgentgatewayHarness();
    ({ client, system, statuses } = harness);
  });

  afterEach(() => harness.stop());

  it('answers state-of-the-world ADS with UNIMPLEMENTED', async () => {
    const stream = client.sotw();
    stream.send({ node: node('p1'), type_url: RESOURCE });
    await expect(stream.next()).rejects.toMatchObject({ code: 12, details: SOTW_NOT_SUPPORTED });
  });

  it('ends the stream of a node whose metadata names no Gateway, saying how to fix it', async () => {
    const stream = client.delta();
    stream.send({ node: { id: 'x', cluster: '', user_agent_name: 'agentgateway' }, type_url: RESOURCE });
    await expect(stream.next()).rejects.toThrow(/GATEWAY_NAME and NAMESPACE/);
  });

  it('serves a proxy its Gateway only, reports the ACK, and pushes additions and removals, not a full resend', async () => {
    await change(irFor('a'), 1);
    await change(irFor('z', other), 1);
    const stream = client.delta();
    stream.send({ node: node('proxy-1'), type_url: RESOURCE });
    const first = await stream.next();
    expect(first.type_url).toBe(RESOURCE);
    expect(first.system_version_info).toBe('1');
    expect(first.resources.map((r) => r.name)).toEqual([
      'bind/80/default/gw',
      'listener/80/default/gw/Gateway/default/gw/web',
      'route/80/default/gw/Gateway/default/gw/web/HTTPRoute/default/r/0',
      'backend/service/default/a/8080/127.0.0.1:9000',
    ]);
    // The bytes are agentgateway Resources our protos decode.
    const decoded = first.resources.map((r) => agentgatewayApi().decodeResource(r.resource.value));
    expect(decoded[0]).toEqual({ bind: { key: '80/default/gw', port: 80 } });
    expect(first.resources.every((r) => r.resource.type_url === RESOURCE)).toBe(true);
    // The Address type is answered (empty) so the proxy does not wait for it.
    stream.send({ type_url: ADDRESS });
    const addresses = await stream.next();
    expect(addresses).toMatchObject({ type_url: ADDRESS, resources: [], removed_resources: [] });
    stream.send({ type_url: RESOURCE, response_nonce: first.nonce });
    stream.send({ type_url: ADDRESS, response_nonce: addresses.nonce });
    await expect.poll(() => latest()?.proxies).toEqual([{ proxy: 'proxy-1', ackedRevision: 1 }]);
    expect(latest()).toMatchObject({ backend: 'agentgateway', revision: 1, translated: true });

    // Another Gateway's change does not reach this proxy.
    await change(irFor('y', other), 2);
    expect(await stream.quietFor(200)).toBe(true);

    // Backend a → b: the route changes, b is added, a is removed; bind and listener are not resent.
    await change(irFor('b'), 2);
    const update = await stream.next();
    expect(update.system_version_info).toBe('2');
    expect(update.resources.map((r) => r.name).sort()).toEqual([
      'backend/service/default/b/8080/127.0.0.1:9000',
      'route/80/default/gw/Gateway/default/gw/web/HTTPRoute/default/r/0',
    ]);
    expect(update.removed_resources).toEqual(['backend/service/default/a/8080/127.0.0.1:9000']);
    stream.send({ type_url: RESOURCE, response_nonce: update.nonce });
    await expect.poll(() => latest()?.proxies).toEqual([{ proxy: 'proxy-1', ackedRevision: 2 }]);

    // Withdrawing the Gateway removes everything the proxy holds.
    await system.send<AgentgatewayBackendMessage>('agentgateway', {
      type: 'backend.gateway.deleted',
      gateway: gw,
    });
    const removal = await stream.next();
    expect(removal.resources).toEqual([]);
    expect(removal.removed_resources).toHaveLength(4);
    stream.close();
  });

  it('turns a NACK into a rejection with the proxy’s error text, cleared by a later accepted revision', async () => {
    await change(irFor('a'), 1);
    const stream = client.delta();
    stream.send({ node: node('proxy-1'), type_url: RESOURCE });
    const first = await stream.next();
    stream.send({ type_url: RESOURCE, response_nonce: first.nonce });
    await expect.poll(() => latest()?.proxies).toEqual([{ proxy: 'proxy-1', ackedRevision: 1 }]);

    await change(irFor('a', gw, 81), 2);
    const bad = await stream.next();
    stream.send({
      type_url: RESOURCE,
      response_nonce: bad.nonce,
      error_detail: { code: 3, message: 'bind 81: address already in use', details: [] },
    });
    await expect
      .poll(() => latest()?.proxies)
      .toEqual([{ proxy: 'proxy-1', ackedRevision: 1, rejection: 'bind 81: address already in use' }]);

    // The next revision goes out again in full against what the proxy last accepted, and its ACK clears the NACK.
    await change(irFor('a', gw, 82), 3);
    const next = await stream.next();
    expect(next.removed_resources).toEqual(
      expect.arrayContaining(['bind/80/default/gw', 'listener/80/default/gw/Gateway/default/gw/web']),
    );
    stream.send({ type_url: RESOURCE, response_nonce: next.nonce });
    await expect.poll(() => latest()?.proxies).toEqual([{ proxy: 'proxy-1', ackedRevision: 3 }]);
    stream.close();
    await expect.poll(() => latest()?.proxies).toEqual([]);
  });

  it('takes a per-resource NACK as applied: errors drop only their resource (sent again), warnings stay while it is held', async () => {
    const twoRoutes = gatewayIR([
      port(80, [
        listener('web', 'HTTP', [
          route('ok', [rule([service('a', [9000])])]),
          route('bad', [rule([service('a', [9000])])]),
          route('odd', [rule([service('a', [9000])])]),
        ]),
      ]),
    ]);
    const name = (r: string) => `route/80/default/gw/Gateway/default/gw/web/HTTPRoute/default/${r}/0`;
    await change(twoRoutes, 1);
    const stream = client.delta();
    stream.send({ node: node('proxy-1'), type_url: RESOURCE });
    const first = await stream.next();
    stream.send({
      type_url: RESOURCE,
      response_nonce: first.nonce,
      error_detail: {
        code: 3,
        message: JSON.stringify([
          { key: name('bad'), error: 'regex parse error: look-behind is not supported' },
          { key: name('odd'), warn: 'unknown header; ignoring' },
        ]),
        details: [],
      },
    });
    // Applied: revision 1 is what the proxy runs, with one route dropped and one warned about.
    await expect.poll(() => latest()?.proxies).toEqual([{ proxy: 'proxy-1', ackedRevision: 1 }]);
    expect(latest()?.refusals).toEqual([
      {
        route: { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default', name: 'bad' },
        rule: 0,
        severity: 'dropped',
        message: 'agentgateway proxy proxy-1: regex parse error: look-behind is not supported',
      },
      {
        route: { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default', name: 'odd' },
        rule: 0,
        severity: 'warning',
        message: 'agentgateway proxy proxy-1: unknown header; ignoring',
      },
    ]);

    // The next push sends the dropped resource again (the proxy does not hold it), not the warned one.
    await change(
      gatewayIR([
        port(80, [listener('web', 'HTTP', twoRoutes.ports[0]!.listeners[0]!.routes)]),
        port(81, []),
      ]),
      2,
    );
    const next = await stream.next();
    expect(next.resources.map((r) => r.name)).toContain(name('bad'));
    expect(next.resources.map((r) => r.name)).not.toContain(name('odd'));
    stream.send({ type_url: RESOURCE, response_nonce: next.nonce });
    await expect.poll(() => latest()?.proxies).toEqual([{ proxy: 'proxy-1', ackedRevision: 2 }]);
    // Taken this time; the warned route still runs as it was warned about.
    expect(latest()?.refusals?.map((r) => [r.route?.name, r.severity])).toEqual([['odd', 'warning']]);
    stream.close();
  });

  it('keeps proxies that send the same node id apart, and never numbers a re-created Gateway backwards', async () => {
    await change(irFor('a'), 1);
    const one = client.delta();
    const two = client.delta();
    one.send({ node: podlessNode(), type_url: RESOURCE });
    const fromOne = await one.next();
    two.send({ node: podlessNode(), type_url: RESOURCE });
    const fromTwo = await two.next();
    one.send({ type_url: RESOURCE, response_nonce: fromOne.nonce });
    // Only one has ACKed: the Gateway waits for the other.
    await expect.poll(() => latest()?.proxies.filter((p) => p.ackedRevision === 1).length).toBe(1);
    expect(latest()?.proxies).toHaveLength(2);
    const names = latest()!.proxies.map((p) => p.proxy);
    expect(new Set(names).size).toBe(2);
    for (const proxy of names) expect(proxy).toMatch(/^agentgateway@/);
    two.send({ type_url: RESOURCE, response_nonce: fromTwo.nonce });
    await expect.poll(() => latest()?.proxies.every((p) => p.ackedRevision === 1)).toBe(true);

    // Deleted and re-created (the deployer numbers it on, see the deployer's test): the wire revisions go on.
    await system.send<AgentgatewayBackendMessage>('agentgateway', {
      type: 'backend.gateway.deleted',
      gateway: gw,
    });
    const removal = await one.next();
    expect(Number(removal.system_version_info)).toBe(2);
    one.send({ type_url: RESOURCE, response_nonce: removal.nonce });
    await change(irFor('b'), 1);
    const again = await one.next();
    expect(Number(again.system_version_info)).toBe(3);
    one.send({ type_url: RESOURCE, response_nonce: again.nonce });
    await expect.poll(() => latest()?.proxies.some((p) => p.ackedRevision === 1)).toBe(true);
    one.close();
    two.close();
  });

  it('gives a reconnecting proxy only what it does not hold (initial_resource_versions)', async () => {
    await change(irFor('a'), 1);
    const first = client.delta();
    first.send({ node: node('proxy-1'), type_url: RESOURCE });
    const held = await first.next();
    first.close();
    const versions = Object.fromEntries(held.resources.map((r) => [r.name, r.version]));
    const again = client.delta();
    again.send({
      node: node('proxy-1'),
      type_url: RESOURCE,
      initial_resource_versions: { ...versions, 'backend/gone': 'v1' },
    });
    const answer = await again.next();
    expect(answer.resources).toEqual([]);
    expect(answer.removed_resources).toEqual(['backend/gone']);
    again.close();
  });

  it('reports a Gateway it cannot fully program in the status message', async () => {
    await change(
      gatewayIR([
        port(80, [listener('web', 'HTTP', [route('r', [rule([invalidBackend()])])])]),
        port(53, [], 'UDP'),
      ]),
      1,
    );
    await expect.poll(() => latest()?.message).toContain('agentgateway does not proxy UDP');
    expect(latest()?.translated).toBe(true);
  });
});
