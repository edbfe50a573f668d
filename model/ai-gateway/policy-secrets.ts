// The Secrets a BackendSecurityPolicy names (API keys, an AWS credentials file, a GCP service-account key file, an
// Azure client secret): one key of the Secret, read in the policy's namespace or — as Gateway API's
// SecretObjectReference says — in another namespace when a ReferenceGrant there allows BackendSecurityPolicies of
// the policy's namespace to reference it. A Problem names the field when it cannot be read.
import { AI_GATEWAY_GROUP, type BackendSecurityPolicy } from '../resources/ai-gateway.ts';
import type { Secret } from '../resources/kubernetes.ts';
import { CORE_GROUP } from '../resources/resource-key.ts';
import { isReferenceAllowed } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import type { Problem } from './statuses.ts';

/** One key of a Secret (stringData, else base64 data), trimmed; undefined when absent or blank. */
export function secretText(secret: Secret, key: string): string | undefined {
  const value =
    typeof secret.stringData?.[key] === 'string'
      ? secret.stringData[key]
      : typeof secret.data?.[key] === 'string'
        ? Buffer.from(secret.data[key], 'base64').toString('utf8')
        : undefined;
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** `field` is the reference's own path (`spec.apiKey.secretRef`); `dataKey` the Secret's key. */
export function readPolicySecret(
  policy: BackendSecurityPolicy,
  view: ResourceView,
  ref: { name?: unknown; namespace?: unknown } | undefined,
  field: string,
  dataKey: string,
): { readonly value: string } | Problem {
  const namespace = policy.metadata?.namespace ?? '';
  if (typeof ref?.name !== 'string' || ref.name === '')
    return { reason: 'UnsupportedValue', message: `${field}.name: required` };
  const secretNamespace =
    typeof ref.namespace === 'string' && ref.namespace !== '' ? ref.namespace : namespace;
  if (
    !isReferenceAllowed(
      view,
      { group: AI_GATEWAY_GROUP, kind: 'BackendSecurityPolicy', namespace },
      { group: CORE_GROUP, kind: 'Secret', namespace: secretNamespace, name: ref.name },
    )
  ) {
    return {
      reason: 'RefNotPermitted',
      message: `${field}: Secret ${secretNamespace}/${ref.name} is in another namespace and no ReferenceGrant there allows BackendSecurityPolicies of ${namespace} to reference it`,
    };
  }
  const secret = view.get('Secret', secretNamespace, ref.name);
  if (secret === undefined)
    return { reason: 'SecretNotFound', message: `${field}: Secret ${secretNamespace}/${ref.name} not found` };
  const value = secretText(secret, dataKey);
  if (value === undefined)
    return {
      reason: 'SecretNotFound',
      message: `${field}: Secret ${secretNamespace}/${ref.name} has no key '${dataKey}'`,
    };
  return { value };
}
