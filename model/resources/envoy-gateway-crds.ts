// The CustomResourceDefinitions of Envoy Gateway's policy kinds as Switchyard serves them: generated from the
// kinds' FieldSchemas (envoy-gateway-policies.ts), so the CRD and the strict field check cannot disagree.
// deploy/crds/<plural>.gateway.envoyproxy.io.yaml hold the generated text; a test regenerates and compares.

import {
  ENVOY_GATEWAY_GROUP,
  type EnvoyGatewayPolicyKind,
  POLICY_SPEC_SCHEMAS,
} from './envoy-gateway-policies.ts';
import { openApiSchema } from './field-schema.ts';

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
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${names.plural}.${ENVOY_GATEWAY_GROUP}`,
      labels: { 'app.kubernetes.io/name': 'switchyard', 'gateway.networking.k8s.io/policy': 'direct' },
    },
    spec: {
      group: ENVOY_GATEWAY_GROUP,
      names: {
        kind,
        listKind: `${kind}List`,
        plural: names.plural,
        singular: kind.toLowerCase(),
        shortNames: [names.shortName],
        categories: ['envoy-gateway'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: names.description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: openApiSchema(POLICY_SPEC_SCHEMAS[kind]),
                status: ANCESTOR_STATUS,
              },
            },
          },
        },
      ],
    },
  };
}
