import { describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { evaluateGatewayListeners } from '../../model/gateway-api/gateway-listeners.ts';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import type { DataPlaneTemplate } from '../../model/provisioning/provisioning.ts';
import { resourceKey } from '../../model/resources/resource-key.ts';
import { ResourceStore } from '../../model/shared/resource-view.ts';
import { ActorSystem } from '../../runtime/ActorSystem.ts';
import type { Message } from '../../runtime/message.ts';
import { runUntilQuiescent } from '../../runtime/quiescence.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import { patcherName } from '../patchers/messages.ts';
import { type DeployedGateway, gatewayDeployerMachine } from './machine.ts';
import type { GatewayDeployerMessage } from './messages.ts';

/** Remembers every message it receives. */
const sink = setup({ types: { context: {} as { seen: Message[] }, events: {} as Message } }).createMachine({
  context: { seen: [] },
  initial: 'on',
  states: {
    on: {
      tags: ['ready'],
      on: { '*': { actions: assign({ seen: ({ context, event }) => [...context.seen, event] }) } },
    },
  },
});

const gatewayKey = resourceKey('gateway.networking.k8s.io', 'Gateway', 'apps', 'gw');

/** The deployer with one Gateway of an envoy class, its backend and the Gateway patcher as sinks. */
function startDeployer() {
  const store = new ResourceStore([
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'sy' },
      spec: { controllerName: 'c' },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'apps', generation: 1 },
      spec: { gatewayClassName: 'sy', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
    },
  ] as never);
  const clock = new VirtualClock();
  const system = new ActorSystem({ clock });
  system.spawn({ name: 'backend.envoy', machine: sink, mailbox: { capacity: 16 } });
  system.spawn({ name: patcherName('Gateway'), machine: sink, mailbox: { capacity: 16 } });
  system.spawn({
    name: 'gateway-deployer',
    machine: gatewayDeployerMachine,
    input: { view: store, controllerName: 'c', backends: { envoy: 'backend.envoy' } },
    mailbox: { capacity: 16 },
  });
  system.start();
  return { store, clock, system };
}

describe('gateway deployer', () => {
  it('sends the IR to the class’s backend and turns a proxy’s NACK into Programmed=False with its text', async () => {
    const { store, clock, system } = startDeployer();
    const ir = {
      gateway: gatewayKey,
      gatewayClassName: 'sy',
      parameters: { backend: 'envoy', dataPlane: {}, xds: {} },
      ports: [],
    } as unknown as GatewayIR;
    const listeners = evaluateGatewayListeners(store.get('Gateway', 'apps', 'gw')!, store);
    await system.send<GatewayDeployerMessage>('gateway-deployer', {
      type: 'gateway.resolved',
      gateway: gatewayKey,
      listeners,
      attachedRoutes: [],
      ir,
    });
    await runUntilQuiescent(system, clock);
    const backend = (system.actor('backend.envoy')!.context as { seen: Message[] }).seen;
    expect(backend.map((m) => [m.type, (m as unknown as { revision: number }).revision])).toEqual([
      ['backend.gateway.changed', 1],
    ]);

    await system.send<GatewayDeployerMessage>('gateway-deployer', {
      type: 'backend.gateway.status',
      backend: 'envoy',
      gateway: gatewayKey,
      revision: 1,
      translated: true,
      proxies: [
        { proxy: 'envoy-a', rejection: 'Invalid regex' },
        { proxy: 'envoy-b', ackedRevision: 1 },
      ],
    });
    await runUntilQuiescent(system, clock);
    const entry = (
      system.actor('gateway-deployer')!.context as { gateways: Map<string, DeployedGateway> }
    ).gateways
      .values()
      .next().value as DeployedGateway;
    expect(entry.proxies).toEqual([
      { proxy: 'envoy-a', rejection: 'Invalid regex' },
      { proxy: 'envoy-b', ackedRevision: 1 },
    ]);
    expect(entry.programmed).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(entry.programmed.message).toContain('envoy-a: Invalid regex');
    const latestProgrammed = () => {
      const patches = (system.actor(patcherName('Gateway'))!.context as { seen: Message[] })
        .seen as unknown as {
        status: { conditions: { type: string; status: string }[] };
      }[];
      return patches.at(-1)?.status.conditions.find((c) => c.type === 'Programmed')?.status;
    };
    expect(latestProgrammed()).toBe('False');

    // The next revision accepted by every proxy clears it.
    await system.send<GatewayDeployerMessage>('gateway-deployer', {
      type: 'backend.gateway.status',
      backend: 'envoy',
      gateway: gatewayKey,
      revision: 1,
      translated: true,
      proxies: [
        { proxy: 'envoy-a', ackedRevision: 1 },
        { proxy: 'envoy-b', ackedRevision: 1 },
      ],
    });
    await runUntilQuiescent(system, clock);
    expect(latestProgrammed()).toBe('True');
    await system.stop();
  });

  it('numbers a Gateway deleted and re-created on from its last revision, never from 1 again', async () => {
    const { store, clock, system } = startDeployer();
    const ir = (port: number) =>
      ({
        gateway: gatewayKey,
        gatewayClassName: 'sy',
        parameters: { backend: 'envoy', dataPlane: {}, xds: {} },
        ports: [{ port, transport: 'TCP', listeners: [] }],
      }) as unknown as GatewayIR;
    const listeners = evaluateGatewayListeners(store.get('Gateway', 'apps', 'gw')!, store);
    const resolved = (port: number) =>
      system.send<GatewayDeployerMessage>('gateway-deployer', {
        type: 'gateway.resolved',
        gateway: gatewayKey,
        listeners,
        attachedRoutes: [],
        ir: ir(port),
      });
    await resolved(80);
    await resolved(81);
    await system.send<GatewayDeployerMessage>('gateway-deployer', {
      type: 'gateway.removed',
      gateway: gatewayKey,
    });
    await resolved(80);
    await runUntilQuiescent(system, clock);
    const backend = (system.actor('backend.envoy')!.context as { seen: Message[] }).seen;
    expect(backend.map((m) => [m.type, (m as unknown as { revision?: number }).revision])).toEqual([
      ['backend.gateway.changed', 1],
      ['backend.gateway.changed', 2],
      ['backend.gateway.deleted', undefined],
      ['backend.gateway.changed', 3],
    ]);
    await system.stop();
  });

  it('in cluster mode asks for the data plane, and needs the Service’s address for Programmed=True', async () => {
    const store = new ResourceStore([
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'GatewayClass',
        metadata: { name: 'sy' },
        spec: { controllerName: 'c' },
      },
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: 'gw', namespace: 'apps', generation: 1, uid: 'u-1' },
        spec: { gatewayClassName: 'sy', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
      },
    ] as never);
    const clock = new VirtualClock();
    const system = new ActorSystem({ clock });
    for (const name of ['backend.envoy', patcherName('Gateway'), 'provisioner'])
      system.spawn({ name, machine: sink, mailbox: { capacity: 16 } });
    const template: DataPlaneTemplate = {
      image: 'proxy:1',
      bootstrapFile: 'b.json',
      configDirectory: '/etc/b',
      args: [],
      readiness: { path: '/ready', port: 19001 },
      bootstrap: () => '{}',
    };
    system.spawn({
      name: 'gateway-deployer',
      machine: gatewayDeployerMachine,
      input: {
        view: store,
        controllerName: 'c',
        backends: { envoy: 'backend.envoy' },
        provisioning: { provisioner: 'provisioner', backends: { envoy: { template, xdsAddress: 'x:1' } } },
      },
      mailbox: { capacity: 16 },
    });
    system.start();
    const ir = {
      gateway: gatewayKey,
      gatewayClassName: 'sy',
      parameters: { backend: 'envoy', dataPlane: { replicas: 1, serviceType: 'LoadBalancer' }, xds: {} },
      ports: [{ port: 80, transport: 'TCP', listeners: [] }],
    } as unknown as GatewayIR;
    const resolved = async () => {
      await system.send<GatewayDeployerMessage>('gateway-deployer', {
        type: 'gateway.resolved',
        gateway: gatewayKey,
        listeners: evaluateGatewayListeners(store.get('Gateway', 'apps', 'gw')!, store),
        attachedRoutes: [],
        ir,
      });
      await runUntilQuiescent(system, clock);
    };
    await resolved();
    await system.send<GatewayDeployerMessage>('gateway-deployer', {
      type: 'backend.gateway.status',
      backend: 'envoy',
      gateway: gatewayKey,
      revision: 1,
      translated: true,
      proxies: [{ proxy: 'envoy-a', ackedRevision: 1 }],
    });
    await runUntilQuiescent(system, clock);
    const seen = (name: string) => (system.actor(name)!.context as { seen: Message[] }).seen;
    expect(seen('provisioner').map((m) => m.type)).toEqual(['data-plane.desired']);
    const latest = () =>
      (
        seen(patcherName('Gateway')).at(-1) as unknown as {
          status: { addresses?: unknown; conditions: { type: string; status: string; reason: string }[] };
        }
      ).status;
    // ACKed, but the LoadBalancer Service has no ingress yet.
    expect(latest().conditions.find((c) => c.type === 'Programmed')).toMatchObject({
      status: 'False',
      reason: 'AddressNotAssigned',
    });
    expect(latest().addresses).toBeUndefined();

    store.upsert({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'switchyard-gw', namespace: 'apps' },
      spec: { type: 'LoadBalancer', clusterIP: '10.0.0.9' },
      status: { loadBalancer: { ingress: [{ hostname: 'lb.example.com' }] } },
    } as never);
    await resolved();
    expect(latest().conditions.find((c) => c.type === 'Programmed')).toMatchObject({ status: 'True' });
    expect(latest().addresses).toEqual([{ type: 'Hostname', value: 'lb.example.com' }]);
    // Same objects: not sent again.
    expect(seen('provisioner')).toHaveLength(1);

    await system.send<GatewayDeployerMessage>('gateway-deployer', {
      type: 'gateway.removed',
      gateway: gatewayKey,
    });
    await runUntilQuiescent(system, clock);
    expect(seen('provisioner').map((m) => m.type)).toEqual(['data-plane.desired', 'data-plane.unwanted']);
    await system.stop();
  });
});
