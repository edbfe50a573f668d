// Child process of envoy.fanout: opens N delta ADS streams to the server at argv[2], every node on the Gateway
// argv[3] (`<namespace>/<gateway>`), over C HTTP/2 connections (argv[4] streams, argv[5] connections; streams
// are spread round-robin), each stream playing Envoy's part and ACKing every response at once.
// Runs until killed; writes "opened" on stdout once every stream is started.
import { adsClient, FakeEnvoy } from './envoy-scale.ts';

const [address, cluster, streamsArg, connectionsArg] = process.argv.slice(2);
if (address === undefined || cluster === undefined)
  throw new Error('usage: <address> <ns/gateway> [streams] [connections]');
const streams = Number(streamsArg ?? 1_000);
const connections = Math.min(streams, Number(connectionsArg ?? streams));
const clients = Array.from({ length: connections }, () => adsClient(address, true));
const envoys: FakeEnvoy[] = [];
for (let i = 0; i < streams; i++) {
  envoys.push(new FakeEnvoy(clients[i % connections]!, { id: `fanout-${i}`, cluster }));
  // Let connections come up in batches instead of 1,000 handshakes in one tick.
  if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
}
process.stdout.write('opened\n');
const closeAll = () => {
  for (const envoy of envoys) envoy.close();
  for (const client of clients) client.close();
  process.exit(0);
};
process.on('SIGTERM', closeAll);
process.stdin.on('end', closeAll); // the parent went away
process.stdin.resume();
