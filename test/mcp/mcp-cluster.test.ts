// Cluster-mode delivery of the MCP proxy configuration: the control plane in Kubernetes mode, against the real
// kube-apiserver, server-side applies it to one Secret — the API keys read from the Secrets the MCPRoute names
// (watched by reference), the JWKS from its ConfigMap — and follows a rotated key.
import { CoreV1Api, CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import { expect, vi } from 'vitest';
import { parse } from 'yaml';
import { MCP_CONFIG_SECRET_KIND } from '../../sources/kubernetes/extproc-config-writer.ts';
import { planesStoppedAfterEach, yamlObjects } from '../controlplane/kubernetes-harness.ts';
import { kubeTest, serverSideApply } from '../harness/kube/index.ts';

const CONFIG_SECRET = 'mcp-config';
const JWKS = '{"keys":[{"kty":"EC","crv":"P-256","x":"x","y":"y","kid":"k1"}]}';

function manifests(ns: string, apiKey: string): KubernetesObject[] {
  const text = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: mcp-${ns} }
spec: { controllerName: switchyard.dev/mcp-${ns} }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: ${ns} }
spec:
  gatewayClassName: mcp-${ns}
  listeners: [{ name: http, protocol: HTTP, port: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: github, namespace: ${ns} }
spec: { ports: [{ name: http, port: 8000 }] }
---
apiVersion: v1
kind: Secret
metadata: { name: github-token, namespace: ${ns} }
type: Opaque
stringData: { apiKey: ${apiKey} }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: keys, namespace: ${ns} }
data: { jwks: '${JWKS}' }
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: MCPRoute
metadata: { name: tools, namespace: ${ns} }
spec:
  parentRefs: [{ name: gw }]
  backendRefs:
    - name: github
      port: 8000
      toolSelector: { exclude: [delete_repo] }
      securityPolicy: { apiKey: { secretRef: { name: github-token } } }
  securityPolicy:
    oauth:
      issuer: https://issuer.test
      jwks: { localJWKS: { type: ValueRef, valueRef: { name: keys } } }
      protectedResourceMetadata: { resource: https://gw.test/mcp }
`;
  return yamlObjects(text);
}

const startPlane = planesStoppedAfterEach();

async function configInSecret(core: CoreV1Api, namespace: string): Promise<unknown> {
  const secret = await core.readNamespacedSecret({ name: CONFIG_SECRET, namespace }).catch(() => undefined);
  const data = secret?.data?.[MCP_CONFIG_SECRET_KIND.key];
  return data === undefined ? undefined : parse(Buffer.from(data, 'base64').toString('utf8'));
}

function expected(ns: string, apiKey: string) {
  return {
    routes: [
      {
        name: `${ns}/tools`,
        path: '/mcp',
        backends: [
          {
            name: 'github',
            url: `http://github.${ns}.svc.cluster.local:8000/mcp`,
            endpoints: [],
            toolSelector: { exclude: ['delete_repo'] },
            apiKey: { key: apiKey },
          },
        ],
        authentication: {
          jwt: { issuer: 'https://issuer.test', audiences: [], jwks: { json: JWKS } },
          resourceMetadata: { resource: 'https://gw.test/mcp' },
        },
      },
    ],
  };
}

kubeTest(
  'Kubernetes mode applies the MCP proxy configuration to a Secret, with the keys its MCPRoute names, and follows a rotation',
  async ({ kube }) => {
    const ns = kube.namespace;
    await serverSideApply(kube.kubeConfig, manifests(ns, 'ghp-first'));
    await startPlane(`switchyard.dev/mcp-${ns}`, { mcpConfigSecret: { namespace: ns, name: CONFIG_SECRET } });
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    await vi.waitFor(async () => expect(await configInSecret(core, ns)).toEqual(expected(ns, 'ghp-first')), {
      timeout: 30_000,
      interval: 200,
    });
    const secret = await core.readNamespacedSecret({ name: CONFIG_SECRET, namespace: ns });
    expect(secret.type).toBe('Opaque');
    expect(secret.metadata?.managedFields?.map((field) => field.manager)).toContain('switchyard-mcp-config');
    // The MCPRoute's status is written too (the Service has no endpoints: the server stays, reported down).
    const custom = kube.kubeConfig.makeApiClient(CustomObjectsApi);
    await vi.waitFor(
      async () => {
        const route = (await custom.getNamespacedCustomObjectStatus({
          group: 'aigateway.envoyproxy.io',
          version: 'v1beta1',
          namespace: ns,
          plural: 'mcproutes',
          name: 'tools',
        })) as { status?: { conditions?: { type: string; message: string }[] } };
        expect(route.status?.conditions?.[0]).toMatchObject({
          type: 'Accepted',
          message: 'MCP route accepted: github',
        });
      },
      { timeout: 30_000, interval: 200 },
    );
    await serverSideApply(
      kube.kubeConfig,
      manifests(ns, 'ghp-second').filter((o) => o.kind === 'Secret'),
    );
    await vi.waitFor(async () => expect(await configInSecret(core, ns)).toEqual(expected(ns, 'ghp-second')), {
      timeout: 30_000,
      interval: 200,
    });
  },
);
