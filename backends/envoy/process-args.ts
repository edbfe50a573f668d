// Envoy's command line from a Gateway's EnvoyProxy settings: the log level (and per-component levels), worker
// threads and the EnvoyProxy's extra arguments — the same for a provisioned pod and for `controller --local-envoy`.
import type { EnvoyProcessIR } from '../../model/ir/envoy-gateway.ts';

/** Arguments after the bootstrap's; `defaultLevel` when no EnvoyProxy applies. */
export function envoyProcessArgs(envoyProxy: EnvoyProcessIR | undefined, defaultLevel: string): string[] {
  if (envoyProxy === undefined) return ['--log-level', defaultLevel];
  const components = Object.entries(envoyProxy.logLevel.components)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([component, level]) => `${component}:${level}`);
  return [
    '--log-level',
    envoyProxy.logLevel.default,
    ...(components.length === 0 ? [] : ['--component-log-level', components.join(',')]),
    ...(envoyProxy.concurrency === undefined ? [] : ['--concurrency', String(envoyProxy.concurrency)]),
    ...envoyProxy.extraArgs,
  ];
}
