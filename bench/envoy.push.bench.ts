// envoy.push: an XdsServer holding all 1,000 Gateways of the fullsync scale (10,000 HTTPRoutes, IR synthesised
// as in envoy.translate), 100 delta ADS clients in this process (grpc-js, one HTTP/2 connection each, each
// node.cluster a different Gateway, ACKing as Envoy does) → one route's path changed on one of those Gateways
// 200 times → p50/p99 time from the change (translateGateway + publish) until that Gateway's client has
// received the new RouteConfiguration. Also the RSS with the 10,000 routes published and the 100 proxies
// connected (it includes the 100 in-process clients; rss_before_clients is the server alone).
import { translateGateway, XdsServer } from '../backends/envoy/index.ts';
import { type DeltaDiscoveryResponse, envoyApi, TYPE_URL } from '../protos/index.ts';
import {
  adsClient,
  FakeEnvoy,
  gatewayIROf,
  gatewayKeyOf,
  nodeClusterOfGateway,
  quantile,
  routesOfGateway,
  SCALE,
} from './envoy-scale.ts';
import { report, rssMiB } from './report.ts';

const BENCH = 'envoy.push';
const PROXIES = 100;
const CHANGES = 200;
const WARM_UP = 20;
const TIME_LIMIT_MS = 60_000;

const watchdog = setTimeout(() => {
  process.stderr.write(`${BENCH}: over ${TIME_LIMIT_MS} ms, giving up\n`);
  process.exit(1);
}, TIME_LIMIT_MS);
watchdog.unref();

const xds = await XdsServer.start({ address: '127.0.0.1:0' });
const revisions = new Array<number>(SCALE.gateways).fill(1);
const publishStarted = performance.now();
for (let g = 0; g < SCALE.gateways; g++)
  xds.publish(gatewayKeyOf(g), 1, translateGateway(gatewayIROf(g), {}));
report(BENCH, 'publish_all_gateways', performance.now() - publishStarted, 'ms');
globalThis.gc?.();
report(BENCH, 'rss_before_clients', rssMiB(), 'MiB');

// Each proxy's receipt of a RouteConfiguration, resolved by whoever is waiting on that Gateway.
const waiting = new Map<number, { version: string | undefined; resolve: () => void }>();
const rdsVersion = new Array<string | undefined>(PROXIES);
const rdsLast = new Array<DeltaDiscoveryResponse['resources'][number] | undefined>(PROXIES);
const synced = new Set<string>();
xds.onReport((r) => {
  if (r.type === 'envoy.proxy.synced') synced.add(r.proxy);
});
const clients: { close(): void }[] = [];
const envoys: FakeEnvoy[] = [];
for (let p = 0; p < PROXIES; p++) {
  const g = p * (SCALE.gateways / PROXIES); // spread over the Gateways: gw-0, gw-10, …
  const client = adsClient(xds.address, true);
  clients.push(client);
  const onResponse = (response: DeltaDiscoveryResponse) => {
    if (response.type_url !== TYPE_URL.routeConfiguration) return;
    const config = response.resources.find((r) => r.name === 'http/80');
    if (config === undefined) return;
    rdsVersion[p] = config.version;
    rdsLast[p] = config;
    const waiter = waiting.get(p);
    if (waiter !== undefined && waiter.version !== config.version) {
      waiting.delete(p);
      waiter.resolve();
    }
  };
  envoys.push(new FakeEnvoy(client, { id: `proxy-${p}`, cluster: nodeClusterOfGateway(g) }, onResponse));
}
const connectStarted = performance.now();
while (synced.size < PROXIES) {
  if (performance.now() - connectStarted > 20_000) throw new Error(`only ${synced.size} proxies synced`);
  await new Promise((resolve) => setTimeout(resolve, 5));
}
report(BENCH, 'connect_and_sync_100_proxies', performance.now() - connectStarted, 'ms');
globalThis.gc?.();
report(BENCH, 'rss_10k_routes_100_proxies', rssMiB(), 'MiB');

/** Changes one route of proxy p's Gateway; returns [ms until it has the new RDS, ms spent in translate+publish]. */
const paths = new Map<number, Map<number, string>>();
async function change(n: number): Promise<[number, number]> {
  const p = (n * 37) % PROXIES;
  const g = p * (SCALE.gateways / PROXIES);
  const routes = routesOfGateway(g);
  const overrides = paths.get(g) ?? new Map<number, string>();
  paths.set(g, overrides);
  overrides.set(routes[n % routes.length]!, `/changed-${n}`);
  const ir = gatewayIROf(g, overrides); // the IR the deployer would send (built outside the timing)
  const received = new Promise<void>((resolve) => waiting.set(p, { version: rdsVersion[p], resolve }));
  const timeout = setTimeout(() => {
    throw new Error(`change ${n}: proxy-${p} never received the new RDS`);
  }, 5_000);
  const started = performance.now();
  xds.publish(gatewayKeyOf(g), ++revisions[g]!, translateGateway(ir, {}));
  const published = performance.now();
  await received;
  const ms = performance.now() - started;
  clearTimeout(timeout);
  if (n === 0 && !JSON.stringify(envoyApi().unpack(rdsLast[p]!.resource)).includes(`"/changed-${n}"`))
    throw new Error('the RouteConfiguration received does not carry the change');
  return [ms, published - started];
}

for (let n = 0; n < WARM_UP; n++) await change(n);
const samples: number[] = [];
const publishSamples: number[] = [];
const cpuStarted = process.cpuUsage();
for (let n = WARM_UP; n < WARM_UP + CHANGES; n++) {
  const [ms, publishMs] = await change(n);
  samples.push(ms);
  publishSamples.push(publishMs);
}
const cpu = process.cpuUsage(cpuStarted);
samples.sort((a, b) => a - b);
publishSamples.sort((a, b) => a - b);
report(BENCH, 'change_to_rds_received_p50', quantile(samples, 0.5), 'ms');
report(BENCH, 'change_to_rds_received_p99', quantile(samples, 0.99), 'ms');
report(BENCH, 'change_to_rds_received_max', samples[samples.length - 1]!, 'ms');
report(BENCH, 'translate_and_publish_p50', quantile(publishSamples, 0.5), 'ms');
report(BENCH, 'cpu_time_per_change', (cpu.user + cpu.system) / 1000 / CHANGES, 'ms');
report(BENCH, 'rss_end', rssMiB(), 'MiB');
for (const envoy of envoys) envoy.close();
for (const client of clients) client.close();
await xds.stop();
process.exit(0);
