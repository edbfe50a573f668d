// The CustomResourceDefinitions of Envoy Gateway's kinds as Switchyard serves them — the policy kinds
// (envoy-gateway-policies.ts), Backend, EnvoyProxy and HTTPRouteFilter (envoy-gateway.ts) — generated from the
// kinds' FieldSchemas, so the CRD and the strict field check cannot disagree.
// deploy/crds/<plural>.gateway.envoyproxy.io.yaml hold the generated text; a test regenerates and compares.

import {
  BACKEND_SPEC,
  ENVOY_GATEWAY_GROUP,
  ENVOY_PROXY_SPEC,
  type EnvoyGatewayKind,
  HTTP_ROUTE_FILTER_SPEC,
} from './envoy-gateway.ts';
import { type EnvoyGatewayPolicyKind, POLICY_SPEC_SCHEMAS } from './envoy-gateway-policies.ts';
import { type FieldSchema, openApiSchema } from './field-schema.ts';

interface CrdNames {
  readonly plural: string;
  readonly shortName: string;
  readonly description: string;
}

export const POLICY_CRD_NAMES: Readonly<Record<EnvoyGatewayPolicyKind, CrdNames>> = {
  SecurityPolicy: {
    plural: 'securitypolicies',
    shortName: 'sp',
    description:
      'Security settings (JWT, API keys, basic auth, CORS, external authorization, authorization) for Gateways and routes.',
  },
  ClientTrafficPolicy: {
    plural: 'clienttrafficpolicies',
    shortName: 'ctp',
    description:
      'How a Gateway listener treats client connections (TLS, timeouts, limits, client IP detection).',
  },
  EnvoyExtensionPolicy: {
    plural: 'envoyextensionpolicies',
    shortName: 'eep',
    description: 'External processors for Gateways and routes.',
  },
  BackendTrafficPolicy: {
    plural: 'backendtrafficpolicies',
    shortName: 'btp',
    description:
      'How traffic reaches the backends of Gateways and routes (rate limits, retries, timeouts, load balancing, circuit breakers, health checks).',
  },
};

const ANCESTOR_STATUS = {
  type: 'object',
  properties: {
    ancestors: {
      type: 'array',
      maxItems: 16,
      items: {
        type: 'object',
        required: ['ancestorRef', 'controllerName'],
        properties: {
          ancestorRef: {
            type: 'object',
            required: ['name'],
            properties: {
              group: { type: 'string' },
              kind: { type: 'string' },
              namespace: { type: 'string' },
              name: { type: 'string' },
              sectionName: { type: 'string' },
              port: { type: 'integer' },
            },
          },
          controllerName: { type: 'string' },
          conditions: {
            type: 'array',
            maxItems: 8,
            items: {
              type: 'object',
              required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
              properties: {
                type: { type: 'string' },
                status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
                reason: { type: 'string' },
                message: { type: 'string', maxLength: 32768 },
                lastTransitionTime: { type: 'string', format: 'date-time' },
                observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
              },
            },
          },
        },
      },
    },
  },
};

export function policyCrd(kind: EnvoyGatewayPolicyKind): Record<string, unknown> {
  const names = POLICY_CRD_NAMES[kind];
  return envoyGatewayCrd({
    kind,
    ...names,
    labels: { 'gateway.networking.k8s.io/policy': 'direct' },
    spec: POLICY_SPEC_SCHEMAS[kind],
    status: ANCESTOR_STATUS,
    printerColumns: [],
  });
}

const CONDITIONS = ANCESTOR_STATUS.properties.ancestors.items.properties.conditions;

/** Backend, EnvoyProxy and HTTPRouteFilter: their names, schema, status and printer columns. */
export const KIND_CRDS: Readonly<Record<EnvoyGatewayKind, CrdConfig>> = {
  Backend: {
    kind: 'Backend',
    plural: 'backends',
    shortName: 'be',
    description:
      'Endpoints outside Kubernetes Services (DNS names, IP addresses, Unix sockets) and the TLS to them.',
    spec: BACKEND_SPEC,
    status: { type: 'object', properties: { conditions: CONDITIONS } },
    printerColumns: [
      { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.type=="Accepted")].reason' },
    ],
  },
  EnvoyProxy: {
    kind: 'EnvoyProxy',
    plural: 'envoyproxies',
    shortName: 'eproxy',
    description:
      'How the Envoy data plane of the GatewayClasses and Gateways that name it runs (Deployment, Service, logs, access logs).',
    spec: ENVOY_PROXY_SPEC,
    status: {
      type: 'object',
      properties: {
        ancestors: {
          type: 'array',
          items: {
            type: 'object',
            required: ['ancestorRef'],
            properties: {
              ancestorRef: ANCESTOR_STATUS.properties.ancestors.items.properties.ancestorRef,
              conditions: CONDITIONS,
            },
          },
        },
      },
    },
    printerColumns: [],
  },
  HTTPRouteFilter: {
    kind: 'HTTPRouteFilter',
    plural: 'httproutefilters',
    shortName: 'hrf',
    description:
      'Extra processing (a direct response, path and Host rewrites) for the HTTPRoute rules that name it.',
    spec: HTTP_ROUTE_FILTER_SPEC,
    printerColumns: [],
  },
};

interface CrdConfig {
  readonly kind: string;
  readonly plural: string;
  readonly shortName: string;
  readonly description: string;
  readonly spec: FieldSchema;
  /** The status schema; no status subresource when absent. */
  readonly status?: Record<string, unknown>;
  readonly printerColumns: readonly Record<string, string>[];
  readonly labels?: Readonly<Record<string, string>>;
}

export function envoyGatewayCrd(config: CrdConfig): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${config.plural}.${ENVOY_GATEWAY_GROUP}`,
      labels: { 'app.kubernetes.io/name': 'switchyard', ...(config.labels ?? {}) },
    },
    spec: {
      group: ENVOY_GATEWAY_GROUP,
      names: {
        kind: config.kind,
        listKind: `${config.kind}List`,
        plural: config.plural,
        singular: config.kind.toLowerCase(),
        shortNames: [config.shortName],
        categories: ['envoy-gateway'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          ...(config.status === undefined ? {} : { subresources: { status: {} } }),
          additionalPrinterColumns: [
            ...config.printerColumns,
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: config.description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: openApiSchema(config.spec),
                ...(config.status === undefined ? {} : { status: config.status }),
              },
            },
          },
        },
      ],
    },
  };
}
