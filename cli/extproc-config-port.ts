// Delivering the ext_proc configuration (model/ai-gateway/) to `switchyard extproc`: in standalone mode the
// control plane writes it to a file that the service watches and reloads (`controller --extproc-config`).
// The file holds backend credentials: it is written owner-only, and replaced atomically (write a temporary file
// in the same folder, then rename) so the service never reads half a document.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { ExtProcConfigDocument } from '../model/ai-gateway/extproc-config.ts';
import type { KubeClient } from '../sources/kubernetes/client.ts';
import {
  kubernetesExtProcConfigWriter,
  type SecretTarget,
} from '../sources/kubernetes/extproc-config-writer.ts';

export type ExtProcConfigPort = (request: { config: ExtProcConfigDocument }) => Promise<{ written: boolean }>;

/** Writes each configuration to `path` (YAML, mode 0600). */
export function fileExtProcConfigPort(path: string): ExtProcConfigPort {
  return async ({ config }) => writeConfigFile(path, extProcConfigText(config));
}

/** Replaces `path` with `text`, owner-only, in one rename (a reader never sees half of it). */
export async function writeConfigFile(path: string, text: string): Promise<{ written: true }> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, path);
  return { written: true };
}

/**
 * Cluster mode: server-side applies the document to one Secret (sources/kubernetes/extproc-config-writer.ts) that
 * the `switchyard extproc` Deployment mounts; the same YAML text as the file in standalone mode.
 */
export function secretExtProcConfigPort(client: KubeClient, target: SecretTarget): ExtProcConfigPort {
  const apply = kubernetesExtProcConfigWriter(client, target);
  return async ({ config }) => apply(extProcConfigText(config));
}

/** No ext_proc service to configure (no `--extproc-config`): the document is dropped. */
export const discardExtProcConfig: ExtProcConfigPort = async () => ({ written: false });

export function extProcConfigText(config: ExtProcConfigDocument): string {
  return `# Written by the Switchyard control plane from AIGatewayRoutes, AIServiceBackends and\n# BackendSecurityPolicies; do not edit (see docs/extproc.md).\n${stringify(config)}`;
}
