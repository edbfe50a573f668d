// How the agentgateway data plane of one Gateway runs in a cluster (model/provisioning/provisioning.ts builds the objects): the
// image, started with `-f` on the config `switchyard agentgateway-config` prints (xDS address, Gateway namespace and
// name), mounted from the ConfigMap; the readiness server moved from agentgateway's default (localhost) to the pod's
// address so the kubelet can probe it. The admin and stats servers keep their defaults (loopback).
import { stringify } from 'yaml';
import type { DataPlaneTemplate } from '../../model/provisioning/provisioning.ts';
import { agentgatewayConfig } from './config.ts';

/** agentgateway's published image (docs: "Deploy with Docker", cr.agentgateway.dev/agentgateway). */
export const DEFAULT_AGENTGATEWAY_IMAGE = 'cr.agentgateway.dev/agentgateway:v1.4.1';
/** agentgateway's readiness port (its default readinessAddr is localhost:15021); a Gateway listener cannot use it. */
export const AGENTGATEWAY_READINESS_PORT = 15021;
/** The path agentgateway's readiness server answers (200 once its xDS config is loaded). */
export const AGENTGATEWAY_READINESS_PATH = '/healthz/ready';
const CONFIG_DIRECTORY = '/etc/switchyard';
const CONFIG_FILE = 'config.yaml';

export function agentgatewayDataPlaneTemplate(options: { readonly image?: string } = {}): DataPlaneTemplate {
  return {
    image: options.image ?? DEFAULT_AGENTGATEWAY_IMAGE,
    bootstrapFile: CONFIG_FILE,
    configDirectory: CONFIG_DIRECTORY,
    args: ['-f', `${CONFIG_DIRECTORY}/${CONFIG_FILE}`],
    readiness: { path: AGENTGATEWAY_READINESS_PATH, port: AGENTGATEWAY_READINESS_PORT },
    bootstrap: (gateway, xdsAddress) =>
      stringify(
        agentgatewayConfig({
          gateway,
          xdsAddress,
          readinessAddress: `0.0.0.0:${AGENTGATEWAY_READINESS_PORT}`,
        }),
        { aliasDuplicateObjects: false },
      ),
  };
}
