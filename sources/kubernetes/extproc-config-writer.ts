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

/** What makes one data plane's configuration Secret: its key (the file name under the mount), field manager, labels. */
export interface ConfigSecretKind {
  readonly key: string;
  readonly fieldManager: string;
  readonly component: string;
  readonly description: string;
  /** Named in errors: "the ext_proc configuration". */
  readonly what: string;
}

export const EXTPROC_CONFIG_SECRET_KIND: ConfigSecretKind = {
  key: EXTPROC_CONFIG_SECRET_KEY,
  fieldManager: EXTPROC_CONFIG_FIELD_MANAGER,
  component: 'extproc-config',
  description:
    'ext_proc configuration written by the Switchyard controller from AIGatewayRoutes; holds backend credentials',
  what: 'the ext_proc configuration',
};

export const MCP_CONFIG_SECRET_KIND: ConfigSecretKind = {
  key: 'mcp.yaml',
  fieldManager: 'switchyard-mcp-config',
  component: 'mcp-config',
  description:
    'MCP proxy configuration written by the Switchyard controller from MCPRoutes; holds backend credentials',
  what: 'the MCP proxy configuration',
};
export const DEFAULT_MCP_CONFIG_SECRET = 'switchyard-mcp-config';

/** The Secret holding `text` (the YAML document) under the kind's key. */
export function configSecret(
  kind: ConfigSecretKind,
  target: SecretTarget,
  text: string,
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: target.name,
      namespace: target.namespace,
      labels: { 'app.kubernetes.io/name': 'switchyard', 'app.kubernetes.io/component': kind.component },
      annotations: { 'switchyard.dev/description': kind.description },
    },
    type: 'Opaque',
    data: { [kind.key]: Buffer.from(text, 'utf8').toString('base64') },
  };
}

/** The ext_proc configuration Secret holding `text`. */
export function extProcConfigSecret(target: SecretTarget, text: string): Record<string, unknown> {
  return configSecret(EXTPROC_CONFIG_SECRET_KIND, target, text);
}

/** Applies the Secret with `text`; a refusal (RBAC, missing namespace) throws with the server's message. */
export function kubernetesConfigSecretWriter(
  client: KubeClient,
  kind: ConfigSecretKind,
  target: SecretTarget,
) {
  const path = `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/secrets/${encodeURIComponent(target.name)}`;
  const query = new URLSearchParams({ fieldManager: kind.fieldManager, force: 'true' });
  return async (text: string): Promise<{ written: true }> => {
    try {
      await client.json(
        'PATCH',
        `${path}?${query}`,
        JSON.stringify(configSecret(kind, target, text)),
        undefined,
        'application/apply-patch+yaml',
      );
    } catch (error) {
      if (error instanceof KubeApiError)
        throw new Error(`writing ${kind.what} Secret ${target.namespace}/${target.name}: ${error.message}`);
      throw error;
    }
    return { written: true };
  };
}

/** The ext_proc configuration's writer (see kubernetesConfigSecretWriter). */
export function kubernetesExtProcConfigWriter(client: KubeClient, target: SecretTarget) {
  return kubernetesConfigSecretWriter(client, EXTPROC_CONFIG_SECRET_KIND, target);
}
