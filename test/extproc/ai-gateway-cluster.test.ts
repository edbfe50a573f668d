// Cluster-mode delivery of the ext_proc configuration: the control plane in Kubernetes mode, against the real
// kube-apiserver, server-side applies the configuration to one Secret (sources/kubernetes/extproc-config-writer.ts).
// What that Secret holds must be exactly what standalone mode writes to its file for the same manifests —
// credentials from the BackendSecurityPolicies' Secrets included — and follow changes to those Secrets.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { expect, vi } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { createControlPlane } from '../../cli/control-plane.ts';
import type { ExtProcConfigDocument } from '../../model/ai-gateway/extproc-config.ts';
import { createLogger } from '../../runtime/logger.ts';
import { EXTPROC_CONFIG_SECRET_KEY } from '../../sources/kubernetes/extproc-config-writer.ts';
import {
  anthropicBackendYaml,
  apiKeySecretYaml,
  planesStoppedAfterEach,
  type RunningControlPlane,
  statusCondition,
  waitForObject,
} from '../controlplane/kubernetes-harness.ts';
import { kubeTest, serverSideApply } from '../harness/kube/index.ts';

const CONFIG_SECRET = 'extproc-config';

/** A Gateway of ours, a route with costs (a CEL one too) and a backend without credentials. */
function baseManifests(ns: string): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: ai-${ns} }
spec: { controllerName: switchyard.dev/ai-${ns} }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ai-gateway, namespace: ${ns} }
spec:
  gatewayClassName: ai-${ns}
  listeners: [{ name: http, protocol: HTTP, port: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: local-llm, namespace: ${ns} }
spec: { ports: [{ name: http, port: 8000 }] }
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: { name: local-llm, namespace: ${ns} }
spec:
  schema: { name: OpenAI }
  backendRef: { name: local-llm, kind: Service, port: 8000 }
`;
}

function routeManifest(ns: string, withAnthropic: boolean): string {
  return `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: { name: models, namespace: ${ns} }
spec:
  parentRefs: [{ name: ai-gateway }]
  llmRequestCosts:
    - { metadataKey: llm_total_token, type: TotalToken }
    - { metadataKey: llm_cost, type: CEL, cel: "input_tokens * 3u + output_tokens * 15u" }
  rules:
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: llama }] }]
      modelsCreatedAt: "2025-05-01T00:00:00Z"
      backendRefs: [{ name: local-llm }]
${
  withAnthropic
    ? `    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: claude-sonnet }] }]
      modelsCreatedAt: "2025-05-02T00:00:00Z"
      backendRefs: [{ name: anthropic, modelNameOverride: claude-sonnet-4-20250514 }]`
    : ''
}
`;
}

function objects(text: string): KubernetesObject[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as KubernetesObject | null)
    .filter((object): object is KubernetesObject => object !== null);
}

/** What standalone mode (`controller --files … --extproc-config`) writes for the same manifests. */
async function filesModeConfig(
  text: string,
  done: (config: ExtProcConfigDocument) => boolean,
): Promise<ExtProcConfigDocument> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-ai-files-'));
  const written: ExtProcConfigDocument[] = [];
  const plane = createControlPlane({
    controllerName: controllerNameIn(text),
    logger: createLogger({ level: 'silent' }),
    flushDelayMs: 10,
    files: { paths: [join(dir, 'ai.yaml')], watch: false },
    extProcConfig: async ({ config }) => {
      written.push(config);
      return { written: true };
    },
  });
  try {
    await writeFile(join(dir, 'ai.yaml'), text);
    plane.system.start();
    await vi.waitFor(() => expect(written.length > 0 && done(written.at(-1)!)).toBe(true), {
      timeout: 15_000,
      interval: 50,
    });
    return written.at(-1)!;
  } finally {
    plane.close();
    await plane.system.stop(2_000);
    await rm(dir, { recursive: true, force: true });
  }
}

function controllerNameIn(text: string): string {
  return /controllerName: (\S+) \}/.exec(text)![1]!;
}

const startPlane = planesStoppedAfterEach();

function startClusterPlane(controllerName: string, namespace: string): Promise<RunningControlPlane> {
  return startPlane(controllerName, { extProcConfigSecret: { namespace, name: CONFIG_SECRET } });
}

/** The configuration document in the Secret, decoded; undefined while the Secret does not exist. */
async function configInSecret(core: CoreV1Api, namespace: string): Promise<unknown> {
  const secret = await core.readNamespacedSecret({ name: CONFIG_SECRET, namespace }).catch(() => undefined);
  const data = secret?.data?.[EXTPROC_CONFIG_SECRET_KEY];
  return data === undefined ? undefined : parse(Buffer.from(data, 'base64').toString('utf8'));
}

/** The document as the file holds it: YAML round trip (drops undefined fields). */
const asWritten = (config: ExtProcConfigDocument): unknown => JSON.parse(JSON.stringify(config));

kubeTest(
  'Kubernetes mode applies the ext_proc configuration to a Secret, equal to what standalone mode writes to its file',
  async ({ kube }) => {
    const ns = kube.namespace;
    const text = `${baseManifests(ns)}---${routeManifest(ns, false)}`;
    const expected = await filesModeConfig(text, (config) => config.backends.length === 1);
    expect(expected.rules.map((rule) => rule.models)).toEqual([['llama']]);
    expect(expected.rules[0]?.llmRequestCosts?.map((cost) => cost.type)).toEqual(['TotalToken', 'CEL']);

    await serverSideApply(kube.kubeConfig, objects(text));
    await startClusterPlane(controllerNameIn(text), ns);
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    await vi.waitFor(async () => expect(await configInSecret(core, ns)).toEqual(asWritten(expected)), {
      timeout: 30_000,
      interval: 200,
    });
    const secret = await core.readNamespacedSecret({ name: CONFIG_SECRET, namespace: ns });
    expect(secret.type).toBe('Opaque');
    expect(secret.metadata?.managedFields?.map((field) => field.manager)).toContain(
      'switchyard-extproc-config',
    );
  },
);

// Relies on Kubernetes mode seeing the Opaque Secrets that BackendSecurityPolicies reference (Secrets watched by
// reference, sources/kubernetes/referenced-source.ts); without it the policy says SecretNotFound and this test
// fails on the credentials.
kubeTest(
  'the Secret carries the credentials from an Opaque API-key Secret, and follows an update of that Secret',
  async ({ kube }) => {
    const ns = kube.namespace;
    const text = (apiKey: string) =>
      `${baseManifests(ns)}---\n${anthropicBackendYaml(ns, apiKey)}\n---${routeManifest(ns, true)}`;
    const hasKey = (config: ExtProcConfigDocument) =>
      config.backends.some((backend) => JSON.stringify(backend.auth ?? {}).includes('sk-ant-'));
    const expected = await filesModeConfig(text('sk-ant-first'), hasKey);
    expect(JSON.stringify(expected)).toContain('"anthropicAPIKey":{"key":"sk-ant-first"}');

    await serverSideApply(kube.kubeConfig, objects(text('sk-ant-first')));
    await startClusterPlane(controllerNameIn(text('sk-ant-first')), ns);
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    await vi.waitFor(async () => expect(await configInSecret(core, ns)).toEqual(asWritten(expected)), {
      timeout: 30_000,
      interval: 200,
    });

    // The key is rotated in its Secret: the configuration follows, and equals standalone mode's again.
    const rotated = await filesModeConfig(text('sk-ant-second'), hasKey);
    expect(JSON.stringify(rotated)).toContain('"anthropicAPIKey":{"key":"sk-ant-second"}');
    await serverSideApply(kube.kubeConfig, objects(apiKeySecretYaml(ns, 'sk-ant-second')));
    await vi.waitFor(async () => expect(await configInSecret(core, ns)).toEqual(asWritten(rotated)), {
      timeout: 30_000,
      interval: 200,
    });
  },
);

/**
 * Fields this issue added, through our CRDs on the real API server (an unknown field would be pruned): a
 * GatewayConfig's global costs, a fallback rule with priorities and per-backend mutations, a per-request credential
 * override, a QuotaPolicy's quotas; and what this controller cannot enforce says so in the status.
 */
function policyManifests(ns: string): string {
  return `${baseManifests(ns)}---
${anthropicBackendYaml(ns, 'sk-ant-static')}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: GatewayConfig
metadata: { name: costs, namespace: ${ns} }
spec:
  globalLLMRequestCosts: [{ metadataKey: llm_reasoning_token, type: ReasoningToken }]
---
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: QuotaPolicy
metadata: { name: tokens, namespace: ${ns} }
spec:
  targetRefs: [{ group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: local-llm }]
  serviceQuota: { quota: { limit: 1000, duration: 1m } }
  perModelQuotas:
    - modelName: llama
      quota:
        costExpression: "input_tokens + output_tokens"
        defaultBucket: { limit: 100, duration: 1m }
        bucketRules: [{ clientSelectors: [{ headers: [{ name: x-team, value: ml }] }], quota: { limit: 500, duration: 1m } }]
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: { name: models, namespace: ${ns} }
spec:
  parentRefs: [{ name: ai-gateway }]
  rules:
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: smart }] }]
      modelsCreatedAt: "2025-05-03T00:00:00Z"
      backendRefs:
        - { name: anthropic, priority: 0, modelNameOverride: claude-sonnet-4-20250514 }
        - name: local-llm
          priority: 1
          modelNameOverride: llama
          headerMutation: { set: [{ name: x-tier, value: fallback }], remove: [x-debug] }
          bodyMutation: { set: [{ path: max_tokens, value: "256" }], remove: [user] }
`
    .replace(
      /anthropicAPIKey: \{secretRef: \{name: anthropic-key\}\}/,
      'anthropicAPIKey: {secretRef: {name: anthropic-key}}\n  credentialOverride: {fromRequestHeaders: {fallbackToConfigured: false}}',
    )
    .replace(
      'kind: Gateway\nmetadata: { name: ai-gateway, namespace: ',
      `kind: Gateway\nmetadata: { annotations: { aigateway.envoyproxy.io/gateway-config: costs }, name: ai-gateway, namespace: `,
    );
}

kubeTest(
  'GatewayConfig, QuotaPolicy, fallback priorities, mutations and credential overrides survive our CRDs and reach the Secret and statuses',
  async ({ kube }) => {
    const ns = kube.namespace;
    const text = policyManifests(ns);
    expect(text).toContain('credentialOverride');
    expect(text).toContain('gateway-config: costs');
    const expected = await filesModeConfig(text, (config) => config.backends.length === 2);
    const rule = expected.rules.find((candidate) => candidate.models.includes('smart'));
    expect(rule?.backends.map((backend) => backend.priority)).toEqual([0, 1]);
    // The QuotaPolicy's costs (model/ai-gateway/quota-policies.ts): its service quota and the model's default bucket.
    expect(rule?.llmRequestCosts).toEqual([
      { metadataKey: 'llm_reasoning_token', type: 'ReasoningToken' },
      { metadataKey: 'quota-tokens-0', type: 'TotalToken' },
      { metadataKey: 'quota-tokens-1', type: 'CEL', cel: 'input_tokens + output_tokens' },
    ]);
    expect(JSON.stringify(expected)).toContain('"override"');
    expect(JSON.stringify(expected)).toContain('"x-tier"');

    await serverSideApply(kube.kubeConfig, objects(text));
    const running = await startClusterPlane(controllerNameIn(text), ns);
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    await vi.waitFor(async () => expect(await configInSecret(core, ns)).toEqual(asWritten(expected)), {
      timeout: 30_000,
      interval: 200,
    });
    // Envoy AI Gateway's convention: NotAccepted (status False) with the reason, or Accepted True.
    const quota = await waitForObject(
      running,
      'QuotaPolicy',
      ns,
      'tokens',
      (object) => statusCondition(object, 'NotAccepted') !== undefined,
    );
    // Its bucket rules are what Envoy cannot enforce (the rest is), and its status names them.
    expect(statusCondition(quota, 'NotAccepted')).toMatchObject({
      status: 'False',
      reason: 'UnsupportedValue',
      message: expect.stringMatching(/^spec\.perModelQuotas\[0\]\.quota\.bucketRules: not enforced/),
    });
    const config = await waitForObject(
      running,
      'GatewayConfig',
      ns,
      'costs',
      (object) => statusCondition(object, 'Accepted') !== undefined,
    );
    expect(statusCondition(config, 'Accepted')).toMatchObject({ status: 'True' });
  },
);
