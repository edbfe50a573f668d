// A real Envoy configured by hand over ADS in front of ext_proc services of ours that serve one configuration
// file: the data-plane tests that pin the service's own behaviour, without a controller (the controller's
// tests start their plane with ai-gateway-plane.ts). Ready once every listener named in `ready` lists its models
// (a listener may still be warming, waiting for its routes, right after Envoy is LIVE). `stop` stops everything
// it started, last first; the fake providers stay the test's.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ExtProcServer, loadExtProcConfig, startExtProcServer } from '../../dataplane/extproc/index.ts';
import { type Envoy, startEnvoy } from '../harness/envoy/index.ts';
import { eventually } from '../harness/eventually.ts';
import { Teardown } from '../harness/teardown.ts';
import { type AdsServer, startAdsServer } from '../harness/xds/index.ts';

type Resources = Record<string, Record<string, unknown>>;

export interface EnvoyWithExtProc {
  /** The temporary folder: the configuration file, and the place for the access logs the resources name. */
  readonly dir: string;
  readonly envoy: Envoy;
  readonly ads: AdsServer;
  /** One service per `poolSizes` entry, in that order. */
  readonly services: readonly ExtProcServer[];
  stop(): Promise<void>;
}

export interface EnvoyWithExtProcOptions {
  /** Names the temporary folder and the Envoy node. */
  readonly name: string;
  /** The services' configuration file (YAML). */
  readonly config: string;
  /** The actor pool size of each service to start. */
  readonly poolSizes: readonly number[];
  /** The Envoy resources, given the folder and the port each service listens on. */
  readonly resources: (started: {
    readonly dir: string;
    readonly servicePorts: readonly number[];
  }) => Resources;
  /** Listeners to wait for, each until GET /v1/models on it lists `models` models. */
  readonly ready: readonly { readonly port: number; readonly models: number }[];
}

export async function startEnvoyWithExtProc(options: EnvoyWithExtProcOptions): Promise<EnvoyWithExtProc> {
  const teardown = new Teardown();
  const stop = () => teardown.run();
  try {
    const dir = await teardown.tempDir(options.name);
    await writeFile(join(dir, 'extproc.yaml'), options.config);
    const config = loadExtProcConfig(join(dir, 'extproc.yaml'));
    const services: ExtProcServer[] = [];
    for (const poolSize of options.poolSizes) {
      const service = await startExtProcServer({ listen: '127.0.0.1:0', config: () => config, poolSize });
      services.push(service);
      teardown.add(() => service.stop());
    }
    const ads = await startAdsServer();
    teardown.add(() => ads.stop());
    const servicePorts = services.map((service) => Number(service.address.split(':').at(-1)));
    for (const [typeUrl, byName] of Object.entries(options.resources({ dir, servicePorts })))
      ads.setResources(typeUrl, byName);
    const envoy = await startEnvoy({ adsAddress: ads.address, nodeId: `${options.name}-test` });
    teardown.add(() => envoy.stop());
    for (const { port, models } of options.ready) {
      let last = '';
      await eventually(
        `the listener on ${port} to list ${models} models`,
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/v1/models`);
          const text = await response.text();
          last = `${response.status} ${text}`;
          if (response.status !== 200) return undefined;
          return (JSON.parse(text) as { data: unknown[] }).data.length === models ? true : undefined;
        },
        30_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; last answer: ${last}\n${envoy.log(40)}`);
      });
    }
    return { dir, envoy, ads, services, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The JSON lines Envoy has logged so far — to the access (or upstream) log file `path`, or without one on its
 * stdout —, after asking it to flush its log buffers (`reopen_logs`) rather than waiting for its flush interval.
 * A line Envoy is still writing (no newline yet) is left for the next read.
 */
export async function envoyJsonLines(envoy: Envoy, path?: string): Promise<Record<string, unknown>[]> {
  await fetch(`${envoy.admin.url}/reopen_logs`, { method: 'POST' });
  const lines =
    path === undefined
      ? envoy.log().split('\n')
      : (await readFile(path, 'utf8').catch(() => '')).split('\n').slice(0, -1);
  return lines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
