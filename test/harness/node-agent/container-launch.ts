// How one container of a pod is launched on the node: the image mapped to a local binary, the command line that
// runs it in the pod's network namespace (`nsenter --net=<netns> unshare --uts --mount … setpriv --pdeathsig KILL
// <binary> <args>`), volume mount paths rewritten in its args and env, mounts under /run bound over a private
// /run, and its environment. The pod's lifecycle around it is pod-runtime.ts.
import { join } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { containerEnvironment, expand, type PodFacts } from './container-env.ts';
import type { VolumeSources } from './pod-volumes.ts';

/** What stands in for an image on this node: the command of its entrypoint, and arguments it needs here. */
export interface ImageRuntime {
  readonly entrypoint: readonly string[];
  readonly extraArgs?: readonly string[];
}

/** Image reference → local runtime; undefined when the node has nothing for it (the pod reports ErrImagePull). */
export type ImageMap = (image: string) => ImageRuntime | undefined;

/** What a launch needs of the node and the pod: the image map, volume sources, the pod's network namespace. */
export interface LaunchNode {
  readonly images: ImageMap;
  readonly sources: VolumeSources;
  readonly netns: string | undefined;
}

/** The command line and environment of `container`; a PodError with the kubelet's reason when it cannot run. */
export async function containerLaunch(
  pod: V1Pod,
  container: V1Container,
  volumes: Map<string, string>,
  facts: PodFacts,
  node: LaunchNode,
): Promise<Launch> {
  const image = container.image ?? '';
  const runtime = node.images(image);
  if (!runtime) throw new PodError('ErrImagePull', `the node agent has no local binary for image ${image}`);
  if (container.command && container.command.length > 0)
    throw new PodError(
      'CreateContainerConfigError',
      `container ${container.name}: command is not supported (the node agent runs the image's entrypoint)`,
    );
  const env = await containerEnvironment(pod, container, facts, node.sources).catch((error: Error) => {
    throw new PodError('CreateContainerConfigError', error.message);
  });
  const mounts: { path: string; dir: string }[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const dir = volumes.get(mount.name);
    if (!dir) throw new PodError('CreateContainerConfigError', `volumeMount ${mount.name}: no such volume`);
    mounts.push({
      path: mount.mountPath.replace(/\/+$/, ''),
      dir: mount.subPath ? join(dir, mount.subPath) : dir,
    });
  }
  mounts.sort((a, b) => b.path.length - a.path.length);
  const runMounts = mounts.filter((mount) => /^\/(var\/)?run\//.test(mount.path));
  const pathMounts = mounts.filter((mount) => !runMounts.includes(mount));
  const rewritten = (text: string) => rewriteMountPaths(text, pathMounts);
  const fixedEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) fixedEnv[name] = rewritten(value);
  const args = (container.args ?? []).map((arg) => rewritten(expand(arg, env)));
  // A UTS namespace with the pod's name as hostname, as the kubelet gives every pod; a mount namespace for
  // the mounts under /run, on a private /run so that nothing of the host's /run changes.
  const script = [
    'hostname "$1"',
    'shift',
    ...(runMounts.length > 0 ? ['mount -t tmpfs switchyard-run /run'] : []),
    ...runMounts.map((mount, i) => {
      const target = mount.path.replace(/^\/var\/run\//, '/run/');
      return `mkdir -p "${target}" && mount --bind "$${i + 1}" "${target}"`;
    }),
    `shift ${runMounts.length}`,
    'exec "$@"',
  ].join(' && ');
  const namespaceWrapper = [
    'unshare',
    '--uts',
    '--mount',
    '--propagation',
    'private',
    '--',
    'sh',
    '-c',
    script,
    'sh',
    pod.metadata?.name ?? 'pod',
    ...runMounts.map((mount) => mount.dir),
  ];
  return {
    argv: [
      'nsenter',
      `--net=/run/netns/${node.netns}`,
      '--',
      ...namespaceWrapper,
      'setpriv',
      '--pdeathsig',
      'KILL',
      '--',
      ...runtime.entrypoint,
      ...args,
      ...(runtime.extraArgs ?? []),
    ],
    env: {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOSTNAME: pod.metadata?.name ?? '',
      ...fixedEnv,
    },
  };
}

/** The command line and environment of a container's process. */
export interface Launch {
  readonly argv: readonly string[];
  readonly env: Record<string, string>;
}

/** Why a container cannot be created, with the waiting reason the kubelet would report. */
export class PodError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

/**
 * Replaces mount paths (each followed by '/' or the end of the path) with their directories, in one pass, so a
 * replacement is never rewritten again by another mount (a directory under /tmp and an emptyDir at /tmp).
 */
export function rewriteMountPaths(text: string, mounts: readonly { path: string; dir: string }[]): string {
  if (mounts.length === 0) return text;
  const byPath = new Map(mounts.map((mount) => [mount.path, mount.dir]));
  const alternatives = [...byPath.keys()]
    .sort((a, b) => b.length - a.length)
    .map((path) => path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`(^|[=:,\\s])(${alternatives.join('|')})(?=/|$|[\\s,:])`, 'g');
  return text.replace(pattern, (_match, before: string, path: string) => `${before}${byPath.get(path)}`);
}
