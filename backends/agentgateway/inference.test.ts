import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BackendIR } from '../../model/ir/gateway-ir.ts';
import { INFERENCE_GROUP, resourceKey } from '../../model/resources/resource-key.ts';
import { agentgatewayApi } from '../../protos/agentgateway-api.ts';
import { gatewayIR, listener, port, route, rule } from '../envoy/testdata/gateway-ir.ts';
import { ipBytes } from './inference.ts';
import { encodeSnapshot } from './snapshot.ts';
import { type AgentgatewayResources, translateGateway } from './translate-gateway.ts';

const GOLDEN = new URL('./testdata/inference.golden.json', import.meta.url);
const LISTENER = '80/default/gw/Gateway/default/gw/http';

// biome-ignore lint/suspicious/noExplicitAny: generated proto3 JSON is walked field by field
type Json = Record<string, any>;

interface PoolOptions {
  readonly picker?: { failureMode: 'FailOpen' | 'FailClose'; problem?: string; port?: number | null };
  readonly weight?: number;
  readonly targetPorts?: readonly number[];
  readonly ips?: readonly string[];
  readonly appProtocol?: string;
}

/** A /24 of its own per pool name, so the pools of a test share no Pod IP. */
const SUBNETS = [
  'plain',
  'open',
  'closed',
  'canary',
  'stable',
  'multi',
  'picked',
  'bad',
  'good',
  'p',
  'empty',
];
function subnet(name: string): number {
  const index = SUBNETS.indexOf(name);
  if (index < 0) throw new Error(`add pool name ${name} to SUBNETS`);
  return index + 1;
}

function pool(name: string, options: PoolOptions = {}): BackendIR {
  const targetPorts = options.targetPorts ?? [8000];
  const ips = options.ips ?? [`10.0.${subnet(name)}.1`, `10.0.${subnet(name)}.2`];
  const picker = options.picker;
  const pickerPort = picker?.port === null ? undefined : (picker?.port ?? 9002);
  return {
    weight: options.weight ?? 1,
    kind: 'InferencePool',
    pool: resourceKey(INFERENCE_GROUP, 'InferencePool', 'default', name),
    targetPorts,
    selector: { app: name },
    ...(options.appProtocol === undefined ? {} : { appProtocol: options.appProtocol }),
    endpoints: ips.flatMap((address) => targetPorts.map((p) => ({ address, port: p }))),
    ...(picker === undefined
      ? {}
      : {
          endpointPicker: {
            service: resourceKey('', 'Service', 'default', `${name}-epp`),
            ...(pickerPort === undefined ? {} : { port: pickerPort }),
            failureMode: picker.failureMode,
            endpoints: [{ address: '10.1.0.1', port: 9003 }],
            ...(picker.problem === undefined ? {} : { problem: picker.problem }),
          },
        }),
  };
}

function translate(...rules: BackendIR[][]): AgentgatewayResources {
  return translateGateway(
    gatewayIR([
      port(80, [
        listener('http', 'HTTP', [
          route(
            'r',
            rules.map((backends) => rule(backends)),
          ),
        ]),
      ]),
    ]),
    {},
  );
}

function routeBackends(resources: AgentgatewayResources, ruleIndex = 0): Json[] {
  return (resources.routes[`${LISTENER}/HTTPRoute/default/r/${ruleIndex}`] as Json).backends;
}

/** Every resource of the gateway through the wire format, as the proxy decodes it. */
function decodedAll(resources: AgentgatewayResources): Json[] {
  const api = agentgatewayApi();
  const snapshot = encodeSnapshot(1, resources);
  return [
    ...(snapshot.types.get('type.googleapis.com/agentgateway.dev.resource.Resource')?.values() ?? []),
  ].map((r) => api.decodeResource(r.any.value) as Json);
}

const ipOf = (base64: string) => [...Buffer.from(base64, 'base64')].join('.');

describe('InferencePool backends on agentgateway', () => {
  it('sends a pool without picker to its workload Service, load-balanced over one Workload per Pod IP', () => {
    const resources = translate([pool('plain')]);
    expect(resources.problems).toEqual([]);
    expect(routeBackends(resources)).toEqual([
      {
        backend: {
          service: { namespace: 'default', hostname: 'plain.default.inference.cluster.local' },
          port: 8000,
        },
        weight: 1,
      },
    ]);
    expect(resources.services).toEqual({
      'default/plain.default.inference.cluster.local': {
        name: 'plain',
        namespace: 'default',
        hostname: 'plain.default.inference.cluster.local',
        ports: [{ servicePort: 8000, targetPort: 8000, appProtocol: 'HTTP11' }],
      },
    });
    const workloads = Object.values(resources.workloads) as Json[];
    expect(workloads.map((w) => [w.uid, ipOf(w.addresses[0])])).toEqual([
      ['default/10.0.1.1', '10.0.1.1'],
      ['default/10.0.1.2', '10.0.1.2'],
    ]);
    expect(workloads[0]!.services).toEqual({
      'default/plain.default.inference.cluster.local': {
        ports: [{ servicePort: 8000, targetPort: 8000, appProtocol: 'HTTP11' }],
      },
    });
    expect(resources.backends).toEqual({});
  });

  it.each([
    ['FailOpen', 'FAIL_OPEN'],
    ['FailClose', 'FAIL_CLOSED'],
  ] as const)('asks the endpoint picker through InferenceRouting with %s → %s', (failureMode, wire) => {
    const resources = translate([pool('picked', { picker: { failureMode } })]);
    expect(resources.problems).toEqual([]);
    expect(routeBackends(resources)).toEqual([
      {
        backend: {
          service: { namespace: 'default', hostname: 'picked.default.inference.cluster.local' },
          port: 8000,
        },
        weight: 1,
        backendPolicies: [
          {
            inferenceRouting: {
              endpointPicker: {
                service: { namespace: 'default', hostname: 'picked-epp.default.svc.cluster.local' },
                port: 9002,
              },
              failureMode: wire,
            },
          },
        ],
      },
    ]);
    // The picker is a workload Service too: gRPC on its Service port, its endpoint on the target port.
    expect(resources.services['default/picked-epp.default.svc.cluster.local']).toEqual({
      name: 'picked-epp',
      namespace: 'default',
      hostname: 'picked-epp.default.svc.cluster.local',
      ports: [{ servicePort: 9002, appProtocol: 'GRPC' }],
    });
    expect(resources.workloads['default/10.1.0.1']?.services).toEqual({
      'default/picked-epp.default.svc.cluster.local': {
        ports: [{ servicePort: 9002, targetPort: 9003, appProtocol: 'GRPC' }],
      },
    });
    // On the wire the enum is its number: FAIL_CLOSED 1, FAIL_OPEN 2 (0 would be UNKNOWN).
    const route = decodedAll(resources).find((r) => r.route !== undefined)!.route;
    expect(route.backends[0].backendPolicies[0].inferenceRouting.failureMode).toBe(wire);
    const type = agentgatewayApi().messageType(
      'agentgateway.dev.resource.BackendPolicySpec.InferenceRouting',
    );
    expect(type.fields.failure_mode!.resolvedType).toMatchObject({
      values: { [wire]: wire === 'FAIL_OPEN' ? 2 : 1 },
    });
  });

  it('keeps the weights of two pools, each with its own picker policy', () => {
    const resources = translate([
      pool('canary', { picker: { failureMode: 'FailOpen' }, weight: 20 }),
      pool('stable', { picker: { failureMode: 'FailClose' }, weight: 80 }),
    ]);
    const backends = routeBackends(resources);
    expect(
      backends.map((b) => [
        b.backend.service.hostname,
        b.weight,
        b.backendPolicies[0].inferenceRouting.endpointPicker.service.hostname,
        b.backendPolicies[0].inferenceRouting.failureMode,
      ]),
    ).toEqual([
      ['canary.default.inference.cluster.local', 20, 'canary-epp.default.svc.cluster.local', 'FAIL_OPEN'],
      ['stable.default.inference.cluster.local', 80, 'stable-epp.default.svc.cluster.local', 'FAIL_CLOSED'],
    ]);
    expect(Object.keys(resources.services)).toEqual([
      'default/canary-epp.default.svc.cluster.local',
      'default/canary.default.inference.cluster.local',
      'default/stable-epp.default.svc.cluster.local',
      'default/stable.default.inference.cluster.local',
    ]);
    // Both pickers listen on 10.1.0.1: one Workload names both Services (agentgateway indexes by address).
    expect(Object.keys(resources.workloads['default/10.1.0.1']?.services ?? {})).toEqual([
      'default/canary-epp.default.svc.cluster.local',
      'default/stable-epp.default.svc.cluster.local',
    ]);
  });

  it('matches the golden output for no picker, FailOpen, FailClose and two weighted pools', () => {
    const resources = translate(
      [pool('plain')],
      [pool('open', { picker: { failureMode: 'FailOpen' } })],
      [pool('closed', { picker: { failureMode: 'FailClose' } })],
      [
        pool('canary', { picker: { failureMode: 'FailOpen' }, weight: 20 }),
        pool('stable', { picker: { failureMode: 'FailClose' }, weight: 80 }),
      ],
    );
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, `${JSON.stringify(resources, null, 2)}\n`);
    expect(JSON.parse(JSON.stringify(resources))).toEqual(JSON.parse(readFileSync(GOLDEN, 'utf8')));
    // Every resource encodes with our protos and decodes to one Resource kind.
    const decoded = decodedAll(resources);
    expect(decoded).toHaveLength(
      1 + 1 + 4 + Object.keys(resources.services).length + Object.keys(resources.workloads).length,
    );
    for (const resource of decoded) expect(Object.keys(resource)).toHaveLength(1);
  });

  it('splits a pool without picker over its targetPorts, and speaks HTTP/2 for appProtocol h2c', () => {
    const resources = translate([
      pool('multi', { targetPorts: [8000, 8001], appProtocol: 'kubernetes.io/h2c' }),
    ]);
    expect(routeBackends(resources).map((b) => [b.backend.port, b.weight])).toEqual([
      [8000, 1],
      [8001, 1],
    ]);
    const ports = [
      { servicePort: 8000, targetPort: 8000, appProtocol: 'HTTP2' },
      { servicePort: 8001, targetPort: 8001, appProtocol: 'HTTP2' },
    ];
    expect(resources.services['default/multi.default.inference.cluster.local']?.ports).toEqual(ports);
    expect(resources.workloads['default/10.0.6.1']?.services).toEqual({
      'default/multi.default.inference.cluster.local': { ports },
    });
  });

  it('answers 500 for the share of a pool whose picker reference is invalid or has no port', () => {
    for (const picker of [
      { failureMode: 'FailClose', problem: 'Service default/bad-epp not found' },
      { failureMode: 'FailOpen', port: null },
    ] as const) {
      const resources = translate([pool('bad', { picker }), pool('good', { weight: 3 })]);
      const backends = routeBackends(resources);
      expect(backends.map((b) => b.weight)).toEqual([1, 3]);
      expect(backends[0]!.backend.backend).toMatch(/^unavailable\/.*\/inference-pool-picker$/);
      expect(resources.services['default/bad.default.inference.cluster.local']).toBeUndefined();
      expect(resources.services['default/good.default.inference.cluster.local']).toBeDefined();
    }
  });

  it('reports a pool on a TCP route and a pool without targetPorts instead of forwarding to them', () => {
    const tcp = translateGateway(
      gatewayIR([
        port(9000, [listener('tcp', 'TCP', [route('t', [rule([pool('p')])], { kind: 'TCPRoute' })])]),
      ]),
      {},
    );
    expect(tcp.problems).toEqual([
      expect.stringContaining(
        'InferencePool inference.networking.k8s.io/InferencePool/default/p serves HTTP and gRPC routes only',
      ),
    ]);
    expect(tcp.services).toEqual({});
    const noPorts = translate([pool('empty', { targetPorts: [] })]);
    expect(noPorts.problems).toEqual([expect.stringContaining('has no targetPorts')]);
    expect(routeBackends(noPorts)[0]!.backend.backend).toMatch(/^unavailable\//);
  });

  it('keeps the workload Service of a pool with no ready Pods (agentgateway finds no endpoint)', () => {
    const resources = translate([pool('idle', { ips: [] })]);
    expect(resources.services['default/idle.default.inference.cluster.local']).toBeDefined();
    expect(resources.workloads).toEqual({});
  });

  it('encodes IPv4 and IPv6 endpoint addresses as raw bytes', () => {
    expect([...ipBytes('10.0.0.7')!]).toEqual([10, 0, 0, 7]);
    expect(ipBytes('fd00::1')!.toString('hex')).toBe('fd000000000000000000000000000001');
    expect(ipBytes('::ffff:10.0.0.1')!.toString('hex')).toBe('00000000000000000000ffff0a000001');
    expect(ipBytes('2001:db8:0:0:1:0:0:1')!.toString('hex')).toBe('20010db8000000000001000000000001');
    expect(ipBytes('pod.example')).toBeUndefined();
  });
});
