// A Deployment of the conformance echo server, as the suite's base manifests write one: POD_NAME and NAMESPACE
// from the pod, ready on GET :3000/health, optionally serving TLS on :8443 from a kubernetes.io/tls Secret
// mounted at /etc/secret-volume.
import type { V1Deployment } from '@kubernetes/client-node';

export const ECHO_BASIC_IMAGE = 'registry.k8s.io/gateway-api/echo-basic:v1.5.1';

export function echoDeployment(
  name: string,
  namespace: string,
  replicas: number,
  options: { readonly tlsSecret?: string } = {},
): V1Deployment {
  const tls = options.tlsSecret;
  return {
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'echo',
              image: ECHO_BASIC_IMAGE,
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                ...(tls
                  ? [
                      { name: 'TLS_SERVER_CERT', value: '/etc/secret-volume/crt' },
                      { name: 'TLS_SERVER_PRIVKEY', value: '/etc/secret-volume/key' },
                    ]
                  : []),
              ],
              readinessProbe: { httpGet: { path: '/health', port: 3000 }, periodSeconds: 1 },
              ...(tls ? { volumeMounts: [{ name: 'secret-volume', mountPath: '/etc/secret-volume' }] } : {}),
            },
          ],
          ...(tls
            ? {
                volumes: [
                  {
                    name: 'secret-volume',
                    secret: {
                      secretName: tls,
                      items: [
                        { key: 'tls.crt', path: 'crt' },
                        { key: 'tls.key', path: 'key' },
                      ],
                    },
                  },
                ],
              }
            : {}),
        },
      },
    },
  };
}
