// What every backend's kitchen-sink translation test carries alike: a match using every field, HTTPS terminated
// with a certificate and TLS passed through on 8443, and a plain TCP route on 9000 (built with the IR builders of
// the Envoy tests).
import type { BackendIR, PortIR } from '../../../model/ir/gateway-ir.ts';
import type { ResourceKey } from '../../../model/resources/resource-key.ts';
import { listener, port, route, rule, service } from '../../envoy/testdata/gateway-ir.ts';

/** A match on path prefix, method, a header regex and a query parameter. */
export const API_MATCH = {
  path: { type: 'PathPrefix', value: '/api/' },
  method: 'POST',
  headers: [{ type: 'RegularExpression', name: 'x-version', value: 'v[0-9]+' }],
  queryParams: [{ type: 'Exact', name: 'debug', value: 'true' }],
} as const;

/** The 8443 (HTTPS `secure` → `web`, TLS passthrough `pass`) and 9000 (TCP `tcp`) ports. */
export function tlsAndTcpPorts(web: BackendIR, cert: ResourceKey): PortIR[] {
  return [
    port(8443, [
      listener('secure', 'HTTPS', [route('secure', [rule([web])])], {
        hostname: 'secure.example.com',
        tls: { mode: 'Terminate', certificates: [cert] },
      }),
      listener(
        'pass',
        'TLS',
        [
          route('pass', [rule([service('tls', [9007])])], {
            kind: 'TLSRoute',
            hostnames: ['pass.example.com'],
          }),
        ],
        {
          hostname: 'pass.example.com',
          tls: { mode: 'Passthrough', certificates: [] },
        },
      ),
    ]),
    port(9000, [
      listener('tcp', 'TCP', [route('tcp', [rule([service('tcp', [9008])])], { kind: 'TCPRoute' })]),
    ]),
  ];
}
