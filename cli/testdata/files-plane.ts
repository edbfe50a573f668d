// A files-mode control plane over one manifest, with the backends given (each with its ADS server's reports wired
// in), for tests that play the proxies with our xDS client. Everything it opens is closed by `cleanups`, last first.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GATEWAY_DEPLOYER } from '../../actors/gateway-deployer/index.ts';
import { type AgentgatewayXdsServer, agentgatewayBackendSpec } from '../../backends/agentgateway/index.ts';
import { envoyBackendSpec, type XdsServer } from '../../backends/envoy/index.ts';
import type { ActorSpec } from '../../runtime/ActorSpec.ts';
import { createLogger } from '../../runtime/logger.ts';
import type { Message } from '../../runtime/message.ts';
import { runUntilQuiescent } from '../../runtime/quiescence.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import { type ControlPlane, createControlPlane } from '../control-plane.ts';

export interface FilesPlane {
  readonly plane: ControlPlane;
  readonly clock: VirtualClock;
}

/** Starts the plane on `manifests` and runs it until quiescent. */
export async function startFilesPlane(
  manifests: string,
  xds: { readonly envoy?: XdsServer; readonly agentgateway?: AgentgatewayXdsServer },
  cleanups: (() => Promise<void> | void)[],
): Promise<FilesPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-files-plane-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'all.yaml'), manifests);
  const clock = new VirtualClock();
  const backends: Record<string, ActorSpec<Message>> = {};
  if (xds.envoy !== undefined)
    backends.envoy = envoyBackendSpec({
      name: 'backend.envoy',
      deployer: GATEWAY_DEPLOYER,
      xds: xds.envoy,
    }) as unknown as ActorSpec<Message>;
  if (xds.agentgateway !== undefined)
    backends.agentgateway = agentgatewayBackendSpec({
      name: 'backend.agentgateway',
      deployer: GATEWAY_DEPLOYER,
      xds: xds.agentgateway,
    }) as unknown as ActorSpec<Message>;
  const plane = createControlPlane({
    clock,
    logger: createLogger({ level: 'silent' }),
    files: { paths: [dir], watch: false },
    backends,
  });
  cleanups.push(async () => {
    plane.close();
    await plane.system.stop(2_000);
  });
  // Reports after the plane stops (proxies hanging up) have nowhere to go: stop listening first.
  if (xds.envoy !== undefined)
    cleanups.push(xds.envoy.onReport((report) => void plane.system.send('backend.envoy', report)));
  if (xds.agentgateway !== undefined)
    cleanups.push(
      xds.agentgateway.onReport((report) => void plane.system.send('backend.agentgateway', report)),
    );
  plane.system.start();
  await runUntilQuiescent(plane.system, clock);
  return { plane, clock };
}
