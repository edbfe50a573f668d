// controlplane.incremental: at the full-sync scale (1,000 Gateways with their policies, 10,000 HTTPRoutes, 2,000
// Services), one HTTPRoute is changed 1,000 times → p50/p99 time from the event to its Gateway's updated IR; then
// one Gateway's SecurityPolicy is changed 1,000 times (its CORS origin) → the same figures for a policy change.
// Each change is a `resource.upserted` sent straight to the HTTPRoute controller with `system.send`, so the figure
// is the pipeline's (controller → reference validator → gateway deployer), without fs.watch latency. The system
// runs on a VirtualClock with the validator's debounce at 0: the clock is stepped as soon as the flush is due,
// so the figure is the work, not the debounce (the controller command adds its 20 ms debounce on top).
import { rmSync } from 'node:fs';
import { parse } from 'yaml';
import { GATEWAY_DEPLOYER } from '../actors/gateway-deployer/messages.ts';
import { POLICY_CONTROLLER } from '../actors/policies/index.ts';
import type { GatewayResolution } from '../actors/reference-validator/resolution.ts';
import { routeControllerName } from '../actors/route/index.ts';
import { REFERENCE_VALIDATOR } from '../cli/control-plane.ts';
import type { ResourceEvent } from '../model/resources/resource-events.ts';
import {
  assertComplete,
  type DeployerContext,
  fullSync,
  policyManifests,
  routeManifest,
  writeScale,
} from './controlplane.fullsync.bench.ts';
import { report, rssMiB } from './report.ts';

const CHANGES = 1_000;
const WARM_UP = 100;
const TIME_LIMIT_MS = 60_000;
const ROUTE = 4_242; // attached to gw-242 in ns-2
const GATEWAY_ID = 'gateway.networking.k8s.io/Gateway/ns-2/gw-242';

const watchdog = setTimeout(() => {
  process.stderr.write(`controlplane.incremental: over ${TIME_LIMIT_MS} ms, giving up\n`);
  process.exit(1);
}, TIME_LIMIT_MS);
watchdog.unref();

const dir = writeScale();
try {
  const { plane, clock } = await fullSync(dir);
  assertComplete(plane);
  const controller = plane.system.ref<ResourceEvent>(routeControllerName('HTTPRoute'));
  const deployer = plane.system.actor(GATEWAY_DEPLOYER)!.context as DeployerContext;
  const resolution = (plane.system.actor(REFERENCE_VALIDATOR)!.context as { resolution: GatewayResolution })
    .resolution;
  const entry = deployer.gateways.get(GATEWAY_ID);
  if (entry === undefined) throw new Error(`${GATEWAY_ID} was not resolved`);

  const policies = plane.system.ref<ResourceEvent>(POLICY_CONTROLLER);
  /** Sends one change and returns the ms until the Gateway's IR carries `mark`. */
  const send = async (
    to: typeof controller,
    object: Record<string, unknown>,
    n: number,
    mark: string,
  ): Promise<number> => {
    (object.metadata as Record<string, unknown>).generation = n + 2;
    const before = entry.ir;
    const started = performance.now();
    await to.send({ type: 'resource.upserted', object, origin: 'bench' });
    for (;;) {
      if (entry.ir !== before && JSON.stringify(entry.ir).includes(mark)) break;
      // Step the clock to the debounced flush as soon as it is due, then let the actors run.
      if (clock.nextDue() !== undefined) await clock.advance(Math.max(0, clock.nextDue()! - clock.now()));
      else await new Promise((resolve) => setImmediate(resolve));
      if (performance.now() - started > 5_000) throw new Error(`change ${n} never reached the IR`);
    }
    return performance.now() - started;
  };
  const change = (n: number) =>
    send(controller, parse(routeManifest(ROUTE, `/v${n}`)) as Record<string, unknown>, n, `"/v${n}"`);
  /** A new CORS origin in the Gateway's SecurityPolicy (the first document of its policies). */
  const policyChange = (n: number) => {
    const origin = `https://v${n}.example.com`;
    const [security] = policyManifests(242, origin).split('---\n');
    return send(policies, parse(security!) as Record<string, unknown>, n, `"${origin}"`);
  };

  for (let n = 0; n < WARM_UP; n++) await change(n);
  const before = { ...resolution.counters };
  const samples: number[] = [];
  for (let n = WARM_UP; n < WARM_UP + CHANGES; n++) samples.push(await change(n));
  const gatewaysPerChange = (resolution.counters.gatewaysResolved - before.gatewaysResolved) / CHANGES;
  const routesPerChange = (resolution.counters.routesEvaluated - before.routesEvaluated) / CHANGES;
  samples.sort((a, b) => a - b);
  const quantile = (q: number) => samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)]!;
  report('controlplane.incremental', 'event_to_ir_p50', quantile(0.5), 'ms');
  report('controlplane.incremental', 'event_to_ir_p99', quantile(0.99), 'ms');
  report('controlplane.incremental', 'event_to_ir_max', samples[samples.length - 1]!, 'ms');
  report('controlplane.incremental', 'gateways_resolved_per_change', gatewaysPerChange, 'count');
  report('controlplane.incremental', 'routes_evaluated_per_change', routesPerChange, 'count');
  for (let n = 0; n < WARM_UP; n++) await policyChange(n);
  const policySamples: number[] = [];
  const beforePolicies = { ...resolution.counters };
  for (let n = WARM_UP; n < WARM_UP + CHANGES; n++) policySamples.push(await policyChange(n));
  policySamples.sort((a, b) => a - b);
  const policyQuantile = (q: number) =>
    policySamples[Math.min(policySamples.length - 1, Math.ceil(q * policySamples.length) - 1)]!;
  report('controlplane.incremental', 'policy_event_to_ir_p50', policyQuantile(0.5), 'ms');
  report('controlplane.incremental', 'policy_event_to_ir_p99', policyQuantile(0.99), 'ms');
  report(
    'controlplane.incremental',
    'gateways_resolved_per_policy_change',
    (resolution.counters.gatewaysResolved - beforePolicies.gatewaysResolved) / CHANGES,
    'count',
  );
  report(
    'controlplane.incremental',
    'routes_evaluated_per_policy_change',
    (resolution.counters.routesEvaluated - beforePolicies.routesEvaluated) / CHANGES,
    'count',
  );
  report('controlplane.incremental', 'rss_end', rssMiB(), 'MiB');
  globalThis.gc?.();
  // Compare with controlplane.fullsync's heap_used_after_gc: 1,100 changes to one route must not grow the heap.
  report(
    'controlplane.incremental',
    'heap_used_after_gc',
    process.memoryUsage().heapUsed / (1024 * 1024),
    'MiB',
  );
  await plane.system.stop(5_000);
  plane.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
