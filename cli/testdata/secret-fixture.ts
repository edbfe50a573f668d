// Manifests holding every kind of secret Switchyard reads, each value unique and recognisable: a listener's TLS key,
// the Gateway's backend client certificate key, basic-auth htpasswd, API keys, an OIDC client secret, an injected
// credential, AI provider keys (API key and AWS credentials), MCP backend keys (from a Secret and inline), on an
// Envoy Gateway and an agentgateway Gateway. Keys and certificates are made with openssl at test time.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENVOY_AND_AGENTGATEWAY_CLASSES } from './manifests.ts';

export interface SecretFixture {
  /** The directory of manifests. */
  readonly dir: string;
  /** Every secret value the manifests hold (decoded), by what it is: none may be shown. */
  readonly secrets: Readonly<Record<string, string>>;
}

function certificate(dir: string, name: string): { cert: string; key: string } {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, `${name}.key`),
      '-out',
      join(dir, `${name}.crt`),
      '-days',
      '2',
      '-subj',
      `/CN=${name}.example.com`,
      '-addext',
      `subjectAltName=DNS:${name}.example.com`,
    ],
    { stdio: 'ignore' },
  );
  return {
    cert: readFileSync(join(dir, `${name}.crt`), 'utf8'),
    key: readFileSync(join(dir, `${name}.key`), 'utf8'),
  };
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

export function secretFixture(): SecretFixture {
  const keys = mkdtempSync(join(tmpdir(), 'switchyard-secret-keys-'));
  const server = certificate(keys, 'server');
  const client = certificate(keys, 'client');
  const htpasswdHash = createHash('sha1').update('alice-password').digest('base64');
  const secrets = {
    'listener TLS key': server.key,
    'backend client certificate key': client.key,
    'htpasswd hash': htpasswdHash,
    'API key': 'apikey-secret-0002',
    'OIDC client secret': 'oidc-client-secret-0003',
    'injected credential': 'injected-credential-0004',
    'OpenAI API key': 'sk-openai-secret-0005',
    'AWS access key id': 'AKIAACCESSKEYID0006',
    'AWS secret access key': 'aws-secret-access-key-0007',
    'AWS session token': 'aws-session-token-0008',
    'MCP API key (Secret)': 'mcp-api-key-secret-0009',
    'MCP API key (inline)': 'mcp-inline-key-0010',
  };
  const tls = (name: string, pair: { cert: string; key: string }) => `apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: apps}
type: kubernetes.io/tls
data: {tls.crt: ${base64(pair.cert)}, tls.key: ${base64(pair.key)}}
`;
  const opaque = (name: string, key: string, value: string) => `apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: apps}
data: {${key}: ${base64(value)}}
`;
  const route = (
    name: string,
    extra = '',
    parents = '{name: edge}, {name: agw}',
  ) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: apps}
spec:
  parentRefs: [${parents}]
  hostnames: [${name}.example.com]
  rules: [{backendRefs: [{name: web, port: 8000}]${extra}}]
`;
  const policy = (name: string, body: string) => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: ${name}, namespace: apps}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: ${name}}]
${body}`;
  const service = (name: string) => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: apps}
spec: {ports: [{name: http, port: 8000}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${name}-1, namespace: apps, labels: {kubernetes.io/service-name: ${name}}}
addressType: IPv4
ports: [{name: http, port: 8000}]
endpoints: [{addresses: [10.0.0.7], conditions: {ready: true}}]
`;
  const aiBackend = (
    name: string,
    schema: string,
    type: string,
    body: string,
  ) => `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: ${name}, namespace: apps}
spec:
  schema: {name: ${schema}}
  backendRef: {name: web, kind: Service, port: 8000}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: {name: ${name}, namespace: apps}
spec:
  type: ${type}
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: ${name}}]
${body}`;
  const documents = [
    ENVOY_AND_AGENTGATEWAY_CLASSES,
    tls('server-cert', server),
    tls('client-cert', client),
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: apps}
spec:
  gatewayClassName: envoy
  listeners:
    - {name: http, protocol: HTTP, port: 8080}
    - name: https
      protocol: HTTPS
      port: 8443
      hostname: server.example.com
      tls: {certificateRefs: [{name: server-cert}]}
  tls:
    backend:
      clientCertificateRef: {name: client-cert}
`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: agw, namespace: apps}
spec:
  gatewayClassName: agentgateway
  listeners: [{name: http, protocol: HTTP, port: 8081}]
`,
    service('web'),
    service('web2'),
    opaque('htpasswd', '.htpasswd', `alice:{SHA}${htpasswdHash}\n`),
    opaque('api-keys', 'client-1', secrets['API key']),
    opaque('oidc', 'client-secret', secrets['OIDC client secret']),
    opaque('upstream-token', 'credential', secrets['injected credential']),
    opaque('openai-key', 'apiKey', secrets['OpenAI API key']),
    opaque(
      'aws',
      'credentials',
      `[default]\naws_access_key_id = ${secrets['AWS access key id']}\naws_secret_access_key = ${secrets['AWS secret access key']}\naws_session_token = ${secrets['AWS session token']}\n`,
    ),
    opaque('mcp-key', 'apiKey', secrets['MCP API key (Secret)']),
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: HTTPRouteFilter
metadata: {name: inject, namespace: apps}
spec:
  credentialInjection:
    overwrite: true
    credential: {valueRef: {name: upstream-token}}
`,
    route('basic'),
    // On both: agentgateway carries the credential in the rule's request header modifier.
    route(
      'injected',
      ', filters: [{type: ExtensionRef, extensionRef: {group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: inject}}]',
    ),
    route('keyed'),
    route('login'),
    policy('basic', '  basicAuth: {users: {name: htpasswd}}\n'),
    policy(
      'keyed',
      '  apiKeyAuth:\n    credentialRefs: [{name: api-keys}]\n    extractFrom: [{headers: [x-api-key]}]\n',
    ),
    policy(
      'login',
      `  oidc:
    provider: {issuer: https://idp.example.com, authorizationEndpoint: https://idp.example.com/auth, tokenEndpoint: https://idp.example.com/token}
    clientID: switchyard
    clientSecret: {name: oidc}
`,
    ),
    aiBackend('openai', 'OpenAI', 'APIKey', '  apiKey: {secretRef: {name: openai-key}}\n'),
    aiBackend(
      'bedrock',
      'AWSBedrock',
      'AWSCredentials',
      '  awsCredentials: {region: us-east-1, credentialsFile: {secretRef: {name: aws}}}\n',
    ),
    `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: chat, namespace: apps}
spec:
  parentRefs: [{name: edge}, {name: agw}]
  rules:
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: gpt}]}]
      backendRefs: [{name: openai}]
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: claude}]}]
      backendRefs: [{name: bedrock}]
`,
    `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: MCPRoute
metadata: {name: tools, namespace: apps}
spec:
  parentRefs: [{name: edge}, {name: agw}]
  path: /mcp
  backendRefs:
    - name: web
      port: 8000
      securityPolicy: {apiKey: {secretRef: {name: mcp-key}}}
    - name: web2
      port: 8000
      securityPolicy: {apiKey: {inline: ${secrets['MCP API key (inline)']}}}
`,
  ];
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-secrets-'));
  writeFileSync(join(dir, 'manifests.yaml'), documents.join('---\n'));
  return { dir, secrets };
}
