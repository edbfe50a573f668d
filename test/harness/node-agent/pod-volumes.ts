// A pod's volumes written into a directory of the node: ConfigMap and Secret volumes (all keys, or `items`
// mapped to their paths), emptyDir, and projected volumes (service-account token from the TokenRequest API,
// ConfigMap, Secret and downward-API sources). Each volume is `<pod dir>/volumes/<name>/`.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type { V1DownwardAPIVolumeFile, V1KeyToPath, V1Pod, V1Volume } from '@kubernetes/client-node';
import { type KeySource, type PodFacts, podField } from './container-env.ts';

/**
 * A ConfigMap, Secret or key a volume needs does not exist (yet): the kubelet keeps the pod in ContainerCreating
 * and mounts again until it does (the conformance suite creates its Secrets after the Deployments using them).
 */
export class VolumeSourceMissing extends Error {}

export interface VolumeSources extends KeySource {
  /** A token for the pod's service account, bound to the pod (TokenRequest). */
  serviceAccountToken(
    pod: V1Pod,
    audience: string | undefined,
    expirationSeconds: number | undefined,
  ): Promise<string>;
}

/** Writes every volume of the pod; returns volume name → directory. */
export async function writePodVolumes(
  pod: V1Pod,
  podDir: string,
  facts: PodFacts,
  sources: VolumeSources,
): Promise<Map<string, string>> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const written = new Map<string, string>();
  for (const volume of pod.spec?.volumes ?? []) {
    const dir = join(podDir, 'volumes', volume.name);
    mkdirSync(dir, { recursive: true });
    await writeVolume(pod, volume, dir, namespace, facts, sources);
    written.set(volume.name, dir);
  }
  return written;
}

async function writeVolume(
  pod: V1Pod,
  volume: V1Volume,
  dir: string,
  namespace: string,
  facts: PodFacts,
  sources: VolumeSources,
): Promise<void> {
  if (volume.emptyDir) return;
  if (volume.configMap) {
    const data = await sources.configMap(namespace, volume.configMap.name ?? '');
    if (data === undefined && !volume.configMap.optional)
      throw new VolumeSourceMissing(
        `volume ${volume.name}: ConfigMap ${namespace}/${volume.configMap.name} not found`,
      );
    writeKeys(dir, data ?? {}, volume.configMap.items, volume.configMap.defaultMode, volume.name);
    return;
  }
  if (volume.secret) {
    const data = await sources.secret(namespace, volume.secret.secretName ?? '');
    if (data === undefined && !volume.secret.optional)
      throw new VolumeSourceMissing(
        `volume ${volume.name}: Secret ${namespace}/${volume.secret.secretName} not found`,
      );
    writeKeys(dir, data ?? {}, volume.secret.items, volume.secret.defaultMode, volume.name);
    return;
  }
  if (volume.downwardAPI) {
    writeDownwardApi(dir, pod, facts, volume.downwardAPI.items ?? []);
    return;
  }
  if (volume.projected) {
    for (const source of volume.projected.sources ?? []) {
      if (source.serviceAccountToken) {
        const token = await sources.serviceAccountToken(
          pod,
          source.serviceAccountToken.audience,
          source.serviceAccountToken.expirationSeconds,
        );
        writeFile(dir, source.serviceAccountToken.path, Buffer.from(token), 0o600);
      } else if (source.configMap) {
        const data = await sources.configMap(namespace, source.configMap.name ?? '');
        if (data === undefined && !source.configMap.optional)
          throw new VolumeSourceMissing(
            `volume ${volume.name}: ConfigMap ${namespace}/${source.configMap.name} not found`,
          );
        writeKeys(dir, data ?? {}, source.configMap.items, volume.projected.defaultMode, volume.name);
      } else if (source.secret) {
        const data = await sources.secret(namespace, source.secret.name ?? '');
        if (data === undefined && !source.secret.optional)
          throw new VolumeSourceMissing(
            `volume ${volume.name}: Secret ${namespace}/${source.secret.name} not found`,
          );
        writeKeys(dir, data ?? {}, source.secret.items, volume.projected.defaultMode, volume.name);
      } else if (source.downwardAPI) {
        writeDownwardApi(dir, pod, facts, source.downwardAPI.items ?? []);
      } else {
        throw new Error(
          `volume ${volume.name}: unsupported projected source ${Object.keys(source).join(', ')}`,
        );
      }
    }
    return;
  }
  const kind = Object.keys(volume).find((key) => key !== 'name') ?? 'unknown';
  throw new Error(`volume ${volume.name}: ${kind} volumes are not supported by the node agent`);
}

function writeKeys(
  dir: string,
  data: Record<string, Buffer>,
  items: V1KeyToPath[] | undefined,
  defaultMode: number | undefined,
  volume: string,
): void {
  const mode = defaultMode ?? 0o644;
  if (!items) {
    for (const [key, value] of Object.entries(data)) writeFile(dir, key, value, mode);
    return;
  }
  for (const item of items) {
    const value = data[item.key];
    if (value === undefined) throw new VolumeSourceMissing(`volume ${volume}: key ${item.key} not found`);
    writeFile(dir, item.path, value, item.mode ?? mode);
  }
}

function writeDownwardApi(dir: string, pod: V1Pod, facts: PodFacts, items: V1DownwardAPIVolumeFile[]): void {
  for (const item of items) {
    if (!item.fieldRef) throw new Error(`downwardAPI ${item.path}: only fieldRef is supported`);
    writeFile(dir, item.path, Buffer.from(podField(pod, facts, item.fieldRef.fieldPath)), item.mode ?? 0o644);
  }
}

function writeFile(dir: string, path: string, value: Buffer, mode: number): void {
  const relative = normalize(path);
  if (relative.startsWith('..') || relative.startsWith('/'))
    throw new Error(`volume path ${path} leaves the volume`);
  const file = join(dir, relative);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, value);
  chmodSync(file, mode);
}
