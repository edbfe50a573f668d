import { describe, expect, it } from 'vitest';
import type { EnvoyProxy, EnvoyProxySpec } from '../resources/envoy-gateway.ts';
import type { Gateway, GatewayClass } from '../resources/gateway-api.ts';
import type { AnyResource } from '../resources/kinds.ts';
import { ResourceStore } from '../shared/resource-view.ts';
import {
  computeEnvoyProxyStatus,
  DEFAULT_ACCESS_LOG_JSON,
  envoyProxyIR,
  mergeEnvoyProxySpecs,
  resolveGatewayEnvoyProxy,
} from './envoy-proxy.ts';
import { envoyProxyProblem } from './envoy-proxy-spec.ts';

const CONTROLLER = 'switchyard.dev/gateway-controller';
const NOW = '2026-01-01T00:00:00Z';

function proxy(name: string, spec: EnvoyProxySpec, namespace = 'infra'): EnvoyProxy {
  return {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'EnvoyProxy',
    metadata: { name, namespace, generation: 3 },
    spec,
  };
}

function gatewayClass(name: string, parametersRef?: GatewayClass['spec']['parametersRef']): GatewayClass {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GatewayClass',
    metadata: { name },
    spec: { controllerName: CONTROLLER, ...(parametersRef === undefined ? {} : { parametersRef }) },
  };
}

function gateway(name: string, className: string, proxyName?: string): Gateway {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: 'infra' },
    spec: {
      gatewayClassName: className,
      listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }],
      ...(proxyName === undefined
        ? {}
        : {
            infrastructure: {
              parametersRef: { group: 'gateway.envoyproxy.io', kind: 'EnvoyProxy', name: proxyName },
            },
          }),
    },
  };
}

const classRef = (name: string) => ({
  group: 'gateway.envoyproxy.io',
  kind: 'EnvoyProxy',
  name,
  namespace: 'infra',
});

describe('EnvoyProxy fields', () => {
  it('accepts what Switchyard applies', () => {
    expect(
      envoyProxyProblem(
        proxy('p', {
          provider: {
            type: 'Kubernetes',
            kubernetes: {
              envoyDeployment: {
                replicas: 3,
                container: { resources: { limits: { cpu: '2' } }, image: 'envoyproxy/envoy:v1.40.0' },
                pod: { labels: { team: 'a' }, annotations: { a: 'b' }, affinity: {}, tolerations: [{}] },
              },
              envoyService: {
                type: 'LoadBalancer',
                annotations: { lb: 'nlb' },
                loadBalancerSourceRanges: ['10.0.0.0/8'],
              },
            },
          },
          logging: { level: { default: 'info', upstream: 'debug' } },
          concurrency: 2,
          extraArgs: ['--drain-time-s', '5'],
          telemetry: {
            accessLog: {
              settings: [
                {
                  format: { type: 'Text', text: '%RESPONSE_CODE%' },
                  sinks: [{ type: 'File', file: { path: '/dev/stdout' } }],
                },
              ],
            },
          },
          mergeType: 'StrategicMerge',
        }),
      ),
    ).toBeUndefined();
  });

  it('names each field it does not apply, or applies differently', () => {
    const cases: [EnvoyProxySpec, string][] = [
      [{ telemetry: { metrics: { prometheus: {} } } }, 'spec.telemetry.metrics: not supported'],
      [
        { telemetry: { metrics: { prometheus: { enabled: true } } } } as never,
        'spec.telemetry.metrics.prometheus.enabled: unknown field',
      ],
      [{ concurrency: 'two' } as never, 'spec.concurrency: must be an integer'],
      [{ telemetry: { tracing: {} } }, 'spec.telemetry.tracing: not supported'],
      [{ bootstrap: { value: '' } }, 'spec.bootstrap: not supported'],
      [
        { provider: { type: 'Kubernetes', kubernetes: { envoyHpa: {} } } },
        'spec.provider.kubernetes.envoyHpa: not supported',
      ],
      [{ provider: { type: 'Kubernetes', kubernetes: { envoyDaemonSet: {} } } }, 'envoyDaemonSet'],
      [
        {
          provider: { type: 'Kubernetes', kubernetes: { envoyDeployment: { pod: { securityContext: {} } } } },
        },
        'pod.securityContext',
      ],
      [
        { provider: { type: 'Kubernetes', kubernetes: { envoyDeployment: { replicas: -1 } } } },
        'replicas: must be >= 0',
      ],
      [
        {
          provider: {
            type: 'Kubernetes',
            kubernetes: { envoyService: { type: 'ClusterIP', loadBalancerIP: '1.2.3.4' } },
          },
        },
        'loadBalancerIP: can only be set for type LoadBalancer',
      ],
      [
        {
          provider: {
            type: 'Kubernetes',
            kubernetes: { envoyService: { loadBalancerSourceRanges: ['10.0.0.0/33'] } },
          },
        },
        'is not a CIDR',
      ],
      [
        {
          provider: {
            type: 'Kubernetes',
            kubernetes: { envoyService: { type: 'ClusterIP', externalTrafficPolicy: 'Local' } },
          },
        },
        'externalTrafficPolicy',
      ],
      [
        { provider: { type: 'Kubernetes', kubernetes: { useListenerPortAsContainerPort: false } } },
        'useListenerPortAsContainerPort',
      ],
      [{ provider: { type: 'Custom' } }, 'spec.provider.type: "Custom" is not one of Kubernetes, Host'],
      [{ logging: { level: { system: 'debug' } } }, 'spec.logging.level.system: not a component'],
      [{ logging: { level: { default: 'loud' } } }, 'spec.logging.level.default: "loud" is not one of'],
      [{ concurrency: 0 }, 'spec.concurrency: 0'],
      [{ extraArgs: ['--log-level=debug'] }, 'spec.extraArgs[0]: --log-level is set by Switchyard'],
      [{ routingType: 'Service' }, 'spec.routingType: Service'],
      [{ mergeGateways: true }, 'spec.mergeGateways'],
      [{ ipFamily: 'DualStack' }, 'spec.ipFamily: DualStack'],
      [{ telemetry: { accessLog: { settings: [{ matches: ['true'] }] } } }, 'settings[0].matches'],
      [
        { telemetry: { accessLog: { settings: [{ sinks: [{ type: 'ALS', als: {} }] }] } } },
        'sinks[0].type: ALS',
      ],
      [{ telemetry: { accessLog: { settings: [{ type: 'Upstream' }] } } }, 'settings[0].type: Upstream'],
      [{ telemetry: { accessLog: { settings: [{ format: { type: 'Text' } }] } } }, 'type Text needs text'],
    ];
    for (const [spec, message] of cases) {
      expect(envoyProxyProblem(proxy('p', spec)), JSON.stringify(spec)).toContain(message);
    }
  });
});

describe('EnvoyProxy settings', () => {
  it('gives Envoy Gateway’s defaults: warn, JSON access log to stdout', () => {
    const ir = envoyProxyIR({}, []);
    expect(ir.logLevel).toEqual({ default: 'warn', components: {} });
    expect(ir.accessLogs).toEqual([{ path: '/dev/stdout', format: { json: DEFAULT_ACCESS_LOG_JSON } }]);
    expect(envoyProxyIR({ telemetry: { accessLog: { disable: true } } }, []).accessLogs).toEqual([]);
  });

  it('turns access-log settings into one log per sink, text or JSON', () => {
    const ir = envoyProxyIR(
      {
        telemetry: {
          accessLog: {
            settings: [
              { format: { type: 'Text', text: '[%START_TIME%] %RESPONSE_CODE%' }, type: 'Route' },
              {
                format: { type: 'JSON', json: { code: '%RESPONSE_CODE%' } },
                sinks: [
                  { type: 'File', file: { path: '/tmp/a.log' } },
                  { type: 'File', file: { path: '/tmp/b.log' } },
                ],
              },
            ],
          },
        },
      },
      [],
    );
    expect(ir.accessLogs).toEqual([
      { path: '/dev/stdout', format: { text: '[%START_TIME%] %RESPONSE_CODE%' }, type: 'Route' },
      { path: '/tmp/a.log', format: { json: { code: '%RESPONSE_CODE%' } } },
      { path: '/tmp/b.log', format: { json: { code: '%RESPONSE_CODE%' } } },
    ]);
  });

  it('merges a Gateway’s EnvoyProxy over its class’s as its mergeType says', () => {
    const base: EnvoyProxySpec = {
      concurrency: 2,
      logging: { level: { default: 'info' } },
      provider: {
        type: 'Kubernetes',
        kubernetes: {
          envoyDeployment: {
            replicas: 2,
            container: {
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '1' },
              ],
            },
          },
        },
      },
    };
    const over = (mergeType?: EnvoyProxySpec['mergeType']): EnvoyProxySpec => ({
      ...(mergeType === undefined ? {} : { mergeType }),
      logging: { level: { upstream: 'debug' } },
      provider: {
        type: 'Kubernetes',
        kubernetes: { envoyDeployment: { container: { env: [{ name: 'B', value: '2' }] } } },
      },
    });
    expect(mergeEnvoyProxySpecs(base, over())).toEqual(over());
    const json = mergeEnvoyProxySpecs(base, over('JSONMerge'));
    expect(json.concurrency).toBe(2);
    expect(json.logging?.level).toEqual({ default: 'info', upstream: 'debug' });
    expect(json.provider?.kubernetes?.envoyDeployment?.replicas).toBe(2);
    expect(json.provider?.kubernetes?.envoyDeployment?.container?.env).toEqual([{ name: 'B', value: '2' }]);
    const strategic = mergeEnvoyProxySpecs(base, over('StrategicMerge'));
    expect(strategic.provider?.kubernetes?.envoyDeployment?.container?.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
  });
});

describe('EnvoyProxy as GatewayClass and Gateway parameters', () => {
  const store = (...objects: AnyResource[]) => new ResourceStore(objects);

  it('takes the class’s EnvoyProxy, overlaid by the Gateway’s', () => {
    const view = store(
      proxy('class', { concurrency: 4, logging: { level: { default: 'info' } } }),
      proxy('own', { mergeType: 'JSONMerge', concurrency: 1 }),
      gatewayClass('eg', classRef('class')),
    );
    const result = resolveGatewayEnvoyProxy(
      gateway('g', 'eg', 'own'),
      view.get('GatewayClass', undefined, 'eg'),
      view,
    );
    expect(result.ok && result.envoyProxy?.concurrency).toBe(1);
    expect(result.ok && result.envoyProxy?.logLevel.default).toBe('info');
    expect(result.ok && result.envoyProxy?.sources.map((s) => s.name)).toEqual(['class', 'own']);
    const none = resolveGatewayEnvoyProxy(gateway('g', 'plain'), gatewayClass('plain'), view);
    expect(none).toEqual({ ok: true });
  });

  it('refuses a missing or unsupported EnvoyProxy, naming it and the field', () => {
    const view = store(proxy('bad', { telemetry: { tracing: {} } }));
    expect(resolveGatewayEnvoyProxy(gateway('g', 'eg', 'nope'), gatewayClass('eg'), view)).toEqual({
      ok: false,
      message: 'spec.infrastructure.parametersRef: EnvoyProxy infra/nope not found',
    });
    expect(resolveGatewayEnvoyProxy(gateway('g', 'eg', 'bad'), gatewayClass('eg'), view)).toMatchObject({
      ok: false,
      message: expect.stringContaining('EnvoyProxy infra/bad: spec.telemetry.tracing: not supported'),
    });
    expect(
      resolveGatewayEnvoyProxy(gateway('g', 'eg'), gatewayClass('eg', classRef('bad')), view),
    ).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^GatewayClass eg: EnvoyProxy infra\/bad/),
    });
  });

  it('writes status.ancestors for our classes and Gateways, keeping other entries', () => {
    const foreign = {
      ancestorRef: { group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'theirs' },
      conditions: [],
    };
    const p = { ...proxy('p', { concurrency: 2 }), status: { ancestors: [foreign] } };
    const view = store(
      p,
      gatewayClass('eg', classRef('p')),
      {
        ...gatewayClass('theirs', classRef('p')),
        spec: { controllerName: 'other', parametersRef: classRef('p') },
      },
      gateway('g', 'eg', 'p'),
      gateway('unrelated', 'eg'),
    );
    const status = computeEnvoyProxyStatus(p, view, { controllerName: CONTROLLER, now: NOW });
    expect(
      status.ancestors.map((a) => [a.ancestorRef.kind, a.ancestorRef.name, a.conditions?.[0]?.reason]),
    ).toEqual([
      ['GatewayClass', 'theirs', undefined],
      ['GatewayClass', 'eg', 'Accepted'],
      ['Gateway', 'g', 'Accepted'],
    ]);
    expect(status.ancestors[1]?.conditions?.[0]).toMatchObject({
      status: 'True',
      message: 'EnvoyProxy has been accepted.',
      observedGeneration: 3,
    });
    const bad = proxy('p', { mergeGateways: true });
    expect(
      computeEnvoyProxyStatus(bad, view, { controllerName: CONTROLLER, now: NOW }).ancestors[0]
        ?.conditions?.[0],
    ).toMatchObject({
      status: 'False',
      reason: 'InvalidParameters',
      message: expect.stringContaining('spec.mergeGateways'),
    });
  });
});
