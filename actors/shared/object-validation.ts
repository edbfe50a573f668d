// Checks an object read from a file or the API before it enters the shared state. Problems name the field.
import { CLUSTER_SCOPED_KINDS, GROUP_OF_KIND, isKindName } from '../../model/resources/kinds.ts';
import type { RawObject } from '../../model/resources/resource-events.ts';
import {
  loadPrecompiledChecks,
  runtimeSchemaCheck,
  SCHEMA_IDS,
  type SchemaCheck,
} from './schema-validators.ts';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

// Schemas shipped by @kubernetes-models/gateway-api (GatewayClass, Gateway, HTTPRoute; schema-validators.ts). They
// predate Gateway API v1.6, so enum and additional-property errors (where later versions added values and fields,
// e.g. the CORS filter) are not treated as schema failures: the spec rules in model/ answer those with
// UnsupportedValue conditions.
const NEWER_SPEC_DIFFERENCES = [
  /must be equal to one of the allowed values/,
  /must NOT have additional properties/,
];

/**
 * Problems that keep the object out of the shared state; empty when it may enter. An object its CRD passed
 * (`crdChecked`: files mode checks it as the API server would, by the release's own schema) is not checked again
 * against the models' older schema, which would only refuse what a cluster accepts (and costs ~25 ms of a small
 * `translate`'s start: bench/translate.startup).
 */
export function validateObject(object: RawObject, options: { readonly crdChecked?: boolean } = {}): string[] {
  const problems: string[] = [];
  const kind = object.kind;
  if (typeof object.apiVersion !== 'string' || object.apiVersion === '')
    problems.push('apiVersion: required');
  if (typeof kind !== 'string' || kind === '') problems.push('kind: required');
  const name = object.metadata?.name;
  if (typeof name !== 'string' || name === '') {
    problems.push('metadata.name: required');
  } else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    problems.push(
      `metadata.name: "${truncate(name)}" must be a lowercase DNS subdomain of at most 253 characters (a-z, 0-9, '-', '.')`,
    );
  }
  const namespace = object.metadata?.namespace;
  if (isKindName(kind) && !CLUSTER_SCOPED_KINDS.has(kind)) {
    if (
      namespace !== undefined &&
      (typeof namespace !== 'string' || namespace.length > 63 || !DNS_LABEL.test(namespace))
    ) {
      problems.push(
        `metadata.namespace: "${truncate(String(namespace))}" must be a DNS label of at most 63 characters`,
      );
    }
  }
  if (isKindName(kind) && typeof object.apiVersion === 'string') {
    const group = object.apiVersion.includes('/')
      ? object.apiVersion.slice(0, object.apiVersion.indexOf('/'))
      : '';
    if (group !== GROUP_OF_KIND[kind]) {
      problems.push(
        `apiVersion: ${object.apiVersion} is not an API version of ${kind} (group ${GROUP_OF_KIND[kind] || 'core'})`,
      );
    }
  }
  if (problems.length > 0 || options.crdChecked === true) return problems;
  const check = schemaCheck(`${object.apiVersion}/${String(kind)}`);
  if (check !== undefined) {
    try {
      // Only what users write is checked: a status written by a controller of a newer API version must not
      // keep the object out.
      const { status: _status, ...withoutStatus } = object;
      check(withoutStatus);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      for (const part of message.split(', ')) {
        if (!NEWER_SPEC_DIFFERENCES.some((pattern) => pattern.test(part))) problems.push(schemaProblem(part));
      }
    }
  }
  return problems;
}

/** The precompiled checks when the clone has them (schema-validators.ts), else the models' own; each loaded once. */
let precompiled: Map<string, SchemaCheck> | null | undefined;
const runtimeChecks = new Map<string, SchemaCheck>();

function schemaCheck(typeAndKind: string): SchemaCheck | undefined {
  if (!Object.hasOwn(SCHEMA_IDS, typeAndKind)) return undefined;
  if (precompiled === undefined) precompiled = loadPrecompiledChecks() ?? null;
  const ready = precompiled?.get(typeAndKind) ?? runtimeChecks.get(typeAndKind);
  if (ready !== undefined) return ready;
  const check = runtimeSchemaCheck(typeAndKind);
  runtimeChecks.set(typeAndKind, check);
  return check;
}

function schemaProblem(text: string): string {
  // "data/spec/listeners/0/port must be <= 65535" → "spec.listeners[0].port: must be <= 65535"
  const match = /^data(\/\S*)?\s+(.*)$/.exec(text.trim());
  if (match === null) return text;
  const path = (match[1] ?? '')
    .split('/')
    .filter(Boolean)
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
  return `${path || '(object)'}: ${match[2]}`;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
