// Cluster-mode delivery of the ext_proc configuration (docs/extproc.md, "Delivery"): one Secret in the
// controller's namespace, written by server-side apply with its own field manager, holding the whole document
// (credentials resolved) under one key. The `switchyard extproc` Deployment mounts it; the kubelet refreshes the
// mounted file and the service reloads it.
//
// Server-side apply is a PATCH to the object's own URL, so the API server knows the name when it authorizes the
// request — also the `create` it checks when the Secret does not exist yet. A Role can therefore allow `get`,
// `create` and `patch` on this one Secret (resourceNames), which a POST (no name at authorization time) could not.
import { KubeApiError, type KubeClient } from './client.ts';

export const EXTPROC_CONFIG_FIELD_MANAGER = 'switchyard-extproc-config';
/** The Secret's key, i.e. the file name under the mount (`switchyard extproc --config <mount>/extproc.yaml`). */
export const EXTPROC_CONFIG_SECRET_KEY = 'extproc.yaml';
export const DEFAULT_EXTPROC_CONFIG_SECRET = 'switchyard-extproc-config';

export interface SecretTarget {
  readonly namespace: string;
  readonly name: string;
}

/** Parses `<namespace>/<name>`; the error names what is wrong. */
export function parseSecretTarget(text: string): SecretTarget {
  const parts = text.split('/');
  const dns1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  const subdomain = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
  if (
    parts.length !== 2 ||
    !dns1123.test(parts[0]!) ||
    parts[0]!.length > 63 ||
    !subdomain.test(parts[1]!) ||
    parts[1]!.length > 253
  ) {
    throw new Error(
      `'${text}' is not <namespace>/<name> of a Secret (lower-case letters, digits, '-'; e.g. switchyard-system/${DEFAULT_EXTPROC_CONFIG_SECRET})`,
    );
  }
  return { namespace: parts[0]!, name: parts[1]! };
}

/** The Secret holding `text` (the YAML document) under EXTPROC_CONFIG_SECRET_KEY. */
export function extProcConfigSecret(target: SecretTarget, text: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: target.name,
      namespace: target.namespace,
      labels: { 'app.kubernetes.io/name': 'switchyard', 'app.kubernetes.io/component': 'extproc-config' },
      annotations: {
        'switchyard.dev/description':
          'ext_proc configuration written by the Switchyard controller from AIGatewayRoutes; holds backend credentials',
      },
    },
    type: 'Opaque',
    data: { [EXTPROC_CONFIG_SECRET_KEY]: Buffer.from(text, 'utf8').toString('base64') },
  };
}

/** Applies the Secret with `text`; a refusal (RBAC, missing namespace) throws with the server's message. */
export function kubernetesExtProcConfigWriter(client: KubeClient, target: SecretTarget) {
  const path = `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/secrets/${encodeURIComponent(target.name)}`;
  const query = new URLSearchParams({ fieldManager: EXTPROC_CONFIG_FIELD_MANAGER, force: 'true' });
  return async (text: string): Promise<{ written: true }> => {
    try {
      await client.json(
        'PATCH',
        `${path}?${query}`,
        JSON.stringify(extProcConfigSecret(target, text)),
        undefined,
        'application/apply-patch+yaml',
      );
    } catch (error) {
      if (error instanceof KubeApiError)
        throw new Error(
          `writing the ext_proc configuration Secret ${target.namespace}/${target.name}: ${error.message}`,
        );
      throw error;
    }
    return { written: true };
  };
}
