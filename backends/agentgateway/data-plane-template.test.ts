import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_GATEWAY_CLASS_PARAMETERS } from '../../model/gateway-api/gateway-class.ts';
import { desiredDataPlane } from '../../model/provisioning/provisioning.ts';
import { resourceKey } from '../../model/resources/resource-key.ts';
import { agentgatewayConfig } from './config.ts';
import { agentgatewayDataPlaneTemplate, DEFAULT_AGENTGATEWAY_IMAGE } from './data-plane-template.ts';

const GATEWAY = resourceKey('gateway.networking.k8s.io', 'Gateway', 'apps', 'agents');

describe('agentgatewayDataPlaneTemplate', () => {
  it('writes the agentgateway-config output, with the readiness server on the pod address', () => {
    const template = agentgatewayDataPlaneTemplate();
    const config = parse(template.bootstrap(GATEWAY, 'xds.example:18001'));
    expect(config).toEqual({
      config: {
        ...(agentgatewayConfig({ gateway: GATEWAY, xdsAddress: 'xds.example:18001' }).config as object),
        readinessAddr: '0.0.0.0:15021',
      },
    });
    expect(config.config).toMatchObject({
      xdsAddress: 'http://xds.example:18001',
      namespace: 'apps',
      gateway: 'agents',
    });
  });

  it('runs the published image with -f on the mounted config, probed on /healthz/ready:15021', () => {
    expect(agentgatewayDataPlaneTemplate()).toMatchObject({
      image: DEFAULT_AGENTGATEWAY_IMAGE,
      bootstrapFile: 'config.yaml',
      configDirectory: '/etc/switchyard',
      args: ['-f', '/etc/switchyard/config.yaml'],
      readiness: { path: '/healthz/ready', port: 15021 },
    });
    expect(DEFAULT_AGENTGATEWAY_IMAGE).toMatch(/^cr\.agentgateway\.dev\/agentgateway:v\d+\.\d+\.\d+$/);
    expect(agentgatewayDataPlaneTemplate({ image: 'example.com/agw:1' }).image).toBe('example.com/agw:1');
  });

  it('provisions a non-root, read-only Deployment whose ConfigMap carries the config', () => {
    const result = desiredDataPlane(
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: 'agents', namespace: 'apps', uid: 'uid-1' },
        spec: { gatewayClassName: 'agw', listeners: [] },
      },
      {
        gateway: GATEWAY,
        gatewayClassName: 'agw',
        parameters: { ...DEFAULT_GATEWAY_CLASS_PARAMETERS, backend: 'agentgateway' },
        ports: [{ port: 8080, transport: 'TCP', listeners: [] }],
      },
      { template: agentgatewayDataPlaneTemplate(), xdsAddress: 'xds.example:18001' },
    );
    if (!result.ok) throw new Error(result.message);
    const configMap = result.objects.find((o) => o.kind === 'ConfigMap') as unknown as {
      data: Record<string, string>;
    };
    expect(parse(configMap.data['config.yaml']!).config.gateway).toBe('agents');
    const deployment = result.objects.find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { containers: Record<string, unknown>[] } } };
    };
    expect(deployment.spec.template.spec.containers[0]).toMatchObject({
      image: DEFAULT_AGENTGATEWAY_IMAGE,
      readinessProbe: { httpGet: { path: '/healthz/ready', port: 15021 } },
      securityContext: { readOnlyRootFilesystem: true, runAsNonRoot: true },
    });
  });
});
