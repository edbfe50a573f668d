// Access logs from a Gateway's EnvoyProxy (telemetry.accessLog), added to the translated listeners as Envoy
// Gateway adds them: a log without a type on every HTTP connection manager, TCP and UDP proxy (the requests and
// connections of routes) and on the listener for connections no filter chain took; `Route` on the first only,
// `Listener` on the listener only. Each writes to a file (/dev/stdout by default) in text or JSON.
import type { AccessLogIR } from '../../model/ir/envoy-gateway.ts';
import { FILTER, type Json } from './envoy-types.ts';

const FILE_ACCESS_LOG = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';

/** The listener with the access logs `logs` adds; unchanged when there are none. */
export function withAccessLogs(listener: Json, logs: readonly AccessLogIR[]): Json {
  const routeLogs = logs.filter((log) => log.type !== 'Listener').map(fileAccessLog);
  // A log without a type also records, at the listener, connections no route was found for (NR).
  const listenerLogs = logs
    .filter((log) => log.type !== 'Route')
    .map((log) =>
      log.type === 'Listener'
        ? fileAccessLog(log)
        : { ...fileAccessLog(log), filter: { responseFlagFilter: { flags: ['NR'] } } },
    );
  if (routeLogs.length === 0 && listenerLogs.length === 0) return listener;
  const withLogs = (filter: Json): Json => {
    if (
      routeLogs.length === 0 ||
      (filter.name !== FILTER.httpConnectionManager &&
        filter.name !== FILTER.tcpProxy &&
        filter.name !== FILTER.udpProxy)
    ) {
      return filter;
    }
    const typedConfig = (filter.typedConfig ?? {}) as Json;
    const existing = (typedConfig.accessLog as Json[] | undefined) ?? [];
    return { ...filter, typedConfig: { ...typedConfig, accessLog: [...existing, ...routeLogs] } };
  };
  const chains = (listener.filterChains as Json[] | undefined)?.map((chain) => ({
    ...chain,
    filters: ((chain.filters as Json[] | undefined) ?? []).map(withLogs),
  }));
  const listenerFilters = (listener.listenerFilters as Json[] | undefined)?.map(withLogs);
  return {
    ...listener,
    ...(chains === undefined ? {} : { filterChains: chains }),
    ...(listenerFilters === undefined ? {} : { listenerFilters }),
    ...(listenerLogs.length === 0 ? {} : { accessLog: listenerLogs }),
  };
}

function fileAccessLog(log: AccessLogIR): Json {
  return {
    name: 'envoy.access_loggers.file',
    typedConfig: {
      '@type': FILE_ACCESS_LOG,
      path: log.path,
      logFormat:
        'text' in log.format
          ? {
              textFormatSource: {
                inlineString: log.format.text.endsWith('\n') ? log.format.text : `${log.format.text}\n`,
              },
            }
          : { jsonFormat: { ...log.format.json } },
    },
  };
}
