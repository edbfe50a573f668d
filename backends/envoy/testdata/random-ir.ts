// fast-check generators of random Gateway IR (valid shapes, random content) for property tests of the
// translation and for feeding a real Envoy.
import fc from 'fast-check';
import type { BackendIR, ListenerIR, PortIR, RouteIR, RuleIR } from '../../../model/ir/gateway-ir.ts';
import { gatewayKey, invalidBackend, secretKey, service } from './gateway-ir.ts';

const label = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
const hostname = fc.oneof(
  fc.tuple(label, label).map(([a, b]) => `${a}.${b}.test`),
  label.map((a) => `*.${a}.test`),
);
const pathValue = fc.array(label, { maxLength: 3 }).map((parts) => `/${parts.join('/')}`);
const header = fc.record({
  type: fc.constantFrom('Exact', 'RegularExpression'),
  name: label,
  value: fc.oneof(label, fc.constant('v[0-9]+')),
});
const httpMatch = fc.record(
  {
    path: fc.record({ type: fc.constantFrom('Exact', 'PathPrefix', 'RegularExpression'), value: pathValue }),
    headers: fc.array(header, { maxLength: 2 }),
    queryParams: fc.array(header, { maxLength: 2 }),
    method: fc.constantFrom('GET', 'POST', 'DELETE'),
  },
  { requiredKeys: ['path'] },
);
const grpcMatch = fc.record(
  {
    method: fc.record(
      { type: fc.constantFrom('Exact', 'RegularExpression'), service: label, method: label },
      { requiredKeys: [] },
    ),
    headers: fc.array(header, { maxLength: 2 }),
  },
  { requiredKeys: [] },
);
const headerModifier = fc.record({
  set: fc.array(fc.record({ name: label, value: label }), { maxLength: 2 }),
  add: fc.array(fc.record({ name: label, value: label }), { maxLength: 2 }),
  remove: fc.array(label, { maxLength: 2 }),
});
const pathModifier = fc.oneof(
  pathValue.map((v) => ({ type: 'ReplaceFullPath', replaceFullPath: v })),
  pathValue.map((v) => ({ type: 'ReplacePrefixMatch', replacePrefixMatch: v })),
);
const filter = fc.oneof(
  headerModifier.map((m) => ({ type: 'RequestHeaderModifier', requestHeaderModifier: m })),
  headerModifier.map((m) => ({ type: 'ResponseHeaderModifier', responseHeaderModifier: m })),
  fc
    .record(
      {
        scheme: fc.constantFrom('http', 'https'),
        hostname,
        port: fc.integer({ min: 1, max: 65535 }),
        statusCode: fc.constantFrom(301, 302, 303, 307, 308),
        path: pathModifier,
      },
      { requiredKeys: [] },
    )
    .map((r) => ({ type: 'RequestRedirect', requestRedirect: r })),
  fc
    .record({ hostname, path: pathModifier }, { requiredKeys: [] })
    .map((r) => ({ type: 'URLRewrite', urlRewrite: r })),
  fc
    .record({ percent: fc.integer({ min: 0, max: 100 }) }, { requiredKeys: [] })
    .map((m) => ({ type: 'RequestMirror', requestMirror: { backendRef: { name: 'm', port: 80 }, ...m } })),
  fc
    .record(
      {
        allowOrigins: fc.array(
          fc.oneof(
            fc.constant('*'),
            hostname.map((h) => `https://${h}`),
          ),
          { maxLength: 2 },
        ),
        allowMethods: fc.array(fc.constantFrom('GET', 'POST', '*'), { maxLength: 2 }),
        maxAge: fc.integer({ min: 1, max: 86400 }),
        allowCredentials: fc.boolean(),
      },
      { requiredKeys: [] },
    )
    .map((c) => ({ type: 'CORS', cors: c })),
);
const backend: fc.Arbitrary<BackendIR> = fc.oneof(
  fc
    .tuple(
      label,
      fc.array(fc.integer({ min: 1024, max: 65535 }), { maxLength: 3 }),
      fc.integer({ min: 0, max: 10 }),
    )
    .map(([name, ports, weight]) => service(name, ports, { weight })),
  fc.integer({ min: 0, max: 10 }).map(invalidBackend),
);
const duration = fc.constantFrom(1_000, 500, 90_000, 0);
const rule = (matches: fc.Arbitrary<unknown>): fc.Arbitrary<RuleIR> =>
  fc
    .record({
      matches: fc.array(matches, { maxLength: 3 }),
      filters: fc.array(filter, { maxLength: 3 }),
      backends: fc.array(backend, { maxLength: 3 }),
      mirrors: fc.array(backend, { maxLength: 2 }),
      timeouts: fc.record({ requestMs: duration, backendRequestMs: duration }, { requiredKeys: [] }),
    })
    .map((r) => ({ index: 0, ...r }));
/** Route kinds a listener of each protocol accepts (mostly), with a stray kind now and then. */
const KINDS: Readonly<Record<string, readonly RouteIR['kind'][]>> = {
  HTTP: ['HTTPRoute', 'HTTPRoute', 'GRPCRoute', 'TCPRoute'],
  HTTPS: ['HTTPRoute', 'GRPCRoute'],
  TLS: ['TLSRoute', 'TLSRoute', 'HTTPRoute'],
  TCP: ['TCPRoute'],
  UDP: ['UDPRoute'],
};
const route = (protocol: string): fc.Arbitrary<RouteIR> =>
  fc
    .tuple(
      label,
      fc.constantFrom(...(KINDS[protocol] ?? ['HTTPRoute'])),
      fc.array(hostname, { maxLength: 2 }),
    )
    .chain(([name, kind, hostnames]) =>
      fc
        .array(rule(kind === 'GRPCRoute' ? grpcMatch : httpMatch), { minLength: 1, maxLength: 3 })
        .map((rules) => ({
          route: { group: 'gateway.networking.k8s.io', kind, namespace: 'default', name },
          kind,
          hostnames,
          rules: rules.map((r, index) => ({ ...r, index })),
        })),
    );
const listener = (protocols: readonly string[]): fc.Arbitrary<ListenerIR> =>
  fc.constantFrom(...protocols).chain((protocol) =>
    fc
      .record(
        {
          name: label,
          hostname,
          passthrough: fc.boolean(),
          routes: fc.array(route(protocol), { maxLength: 3 }),
        },
        { requiredKeys: ['name', 'passthrough', 'routes'] },
      )
      .map(({ passthrough, ...l }) => ({
        owner: gatewayKey(),
        protocol,
        ...l,
        ...(protocol === 'HTTPS' || protocol === 'TLS'
          ? {
              tls: {
                mode: passthrough && protocol === 'TLS' ? ('Passthrough' as const) : ('Terminate' as const),
                certificates: [secretKey(passthrough && protocol === 'HTTPS' ? 'absent' : 'cert')],
              },
            }
          : {}),
      })),
  );
/** Ports of a random Gateway; `portNumbers` restricts them (e.g. to ports free on this machine). */
export function randomPorts(
  portNumbers: fc.Arbitrary<number> = fc.integer({ min: 1, max: 65535 }),
): fc.Arbitrary<PortIR[]> {
  return fc.uniqueArray(
    fc.oneof(
      fc.record({
        port: portNumbers,
        transport: fc.constant('TCP' as const),
        // Mostly one family per port, as listener validation leaves it; sometimes a mix.
        listeners: fc.oneof(
          fc.array(listener(['HTTP']), { maxLength: 3 }),
          fc.array(listener(['HTTPS', 'TLS']), { maxLength: 3 }),
          fc.array(listener(['TCP']), { maxLength: 1 }),
          fc.array(listener(['HTTP', 'HTTPS', 'TLS', 'TCP']), { maxLength: 3 }),
        ),
      }),
      fc.record({
        port: portNumbers,
        transport: fc.constant('UDP' as const),
        listeners: fc.array(listener(['UDP']), { maxLength: 1 }),
      }),
    ),
    { selector: (p) => `${p.port}/${p.transport}`, maxLength: 4 },
  );
}
