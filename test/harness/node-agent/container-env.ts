// A container's environment and arguments as the kubelet builds them: `env` (literal values, field references
// to the pod, keys of ConfigMaps and Secrets), `envFrom`, the API server's service variables, and `$(VAR)`
// expansion in values, command and args (`$$` escapes a dollar; an unknown reference stays as written).
import type { V1Container, V1Pod } from '@kubernetes/client-node';

/** Reads ConfigMaps and Secrets (values decoded: ConfigMap `binaryData` and Secret `data` are base64). */
export interface KeySource {
  configMap(namespace: string, name: string): Promise<Record<string, Buffer> | undefined>;
  secret(namespace: string, name: string): Promise<Record<string, Buffer> | undefined>;
}

export interface PodFacts {
  readonly podIP: string;
  readonly hostIP: string;
  /** KUBERNETES_SERVICE_HOST/PORT: the `kubernetes` Service as pods reach it. */
  readonly apiServer?: { readonly host: string; readonly port: number };
}

/** Resolves the container's variables in order; a missing non-optional reference is an error naming it. */
export async function containerEnvironment(
  pod: V1Pod,
  container: V1Container,
  facts: PodFacts,
  keys: KeySource,
): Promise<Record<string, string>> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const env: Record<string, string> = {};
  if (facts.apiServer) {
    env.KUBERNETES_SERVICE_HOST = facts.apiServer.host;
    env.KUBERNETES_SERVICE_PORT = String(facts.apiServer.port);
  }
  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? '';
    const data = source.configMapRef
      ? await keys.configMap(namespace, source.configMapRef.name ?? '')
      : source.secretRef
        ? await keys.secret(namespace, source.secretRef.name ?? '')
        : undefined;
    const optional = source.configMapRef?.optional ?? source.secretRef?.optional ?? false;
    if (data === undefined && !optional) {
      const ref = source.configMapRef
        ? `ConfigMap ${source.configMapRef.name}`
        : `Secret ${source.secretRef?.name}`;
      throw new Error(`envFrom: ${ref} not found in ${namespace}`);
    }
    for (const [key, value] of Object.entries(data ?? {})) env[prefix + key] = value.toString('utf8');
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) {
      env[variable.name] = expand(variable.value, env);
      continue;
    }
    const from = variable.valueFrom;
    if (!from) {
      env[variable.name] = '';
      continue;
    }
    if (from.fieldRef) {
      env[variable.name] = podField(pod, facts, from.fieldRef.fieldPath);
    } else if (from.configMapKeyRef || from.secretKeyRef) {
      const ref = (from.configMapKeyRef ?? from.secretKeyRef)!;
      const data = from.configMapKeyRef
        ? await keys.configMap(namespace, ref.name ?? '')
        : await keys.secret(namespace, ref.name ?? '');
      const value = data?.[ref.key];
      if (value === undefined) {
        if (ref.optional) continue;
        const kind = from.configMapKeyRef ? 'ConfigMap' : 'Secret';
        throw new Error(`env ${variable.name}: key ${ref.key} of ${kind} ${namespace}/${ref.name} not found`);
      }
      env[variable.name] = value.toString('utf8');
    } else {
      throw new Error(`env ${variable.name}: only fieldRef, configMapKeyRef and secretKeyRef are supported`);
    }
  }
  return env;
}

export function podField(pod: V1Pod, facts: PodFacts, fieldPath: string): string {
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelOrAnnotation) {
    const map = labelOrAnnotation[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[labelOrAnnotation[2]!] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return facts.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return facts.hostIP;
    default:
      throw new Error(`fieldRef ${fieldPath} is not supported by the node agent`);
  }
}

/** Kubernetes' `$(VAR)` expansion: defined variables are replaced, `$$` becomes `$`, anything else stays. */
export function expand(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return '$';
    return Object.hasOwn(env, name) ? env[name]! : match;
  });
}
