// A ClientTrafficPolicy's HTTP/1 settings reach the clusters of its listener's routes (trailers and header case are
// a property of both connections, as in Envoy Gateway), apart from the same backend's cluster for other listeners;
// a maximum connection duration closes HTTP/1 connections after their next answer. Everything encodes.
import { describe, expect, it } from 'vitest';
import type { ListenerIR } from '../../model/ir/gateway-ir.ts';
import type { ClientTrafficIR } from '../../model/ir/policies.ts';
import { resourceKey } from '../../model/resources/resource-key.ts';
import { encodeAll } from './testdata/encode-all.ts';
import { gatewayIR, listener, port, route, rule, service } from './testdata/gateway-ir.ts';
import { translateGateway } from './translate-gateway.ts';

const POLICY = resourceKey('gateway.envoyproxy.io', 'ClientTrafficPolicy', 'default', 'clients');
const OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function withPolicy(base: ListenerIR, settings: Omit<ClientTrafficIR, 'policy'>): ListenerIR {
  return { ...base, clientTraffic: { policy: POLICY, ...settings } };
}

describe('ClientTrafficPolicy on Envoy clusters and connection managers', () => {
  const app = service('app', [9001]);
  const grpc = service('grpc-app', [9002], { appProtocol: 'kubernetes.io/h2c' });
  const resources = translateGateway(
    gatewayIR([
      port(8080, [
        withPolicy(listener('legacy', 'HTTP', [route('r', [rule([app]), rule([grpc])])]), {
          http1: { enableTrailers: true, acceptHttp10: true, preserveHeaderCase: true },
          connection: { maxConnectionDurationMs: 60_000, http1SafeMaxConnectionDuration: true },
        }),
      ]),
      port(8081, [listener('plain', 'HTTP', [route('p', [rule([app])])])]),
    ]),
    {},
  );
  const clusters = Object.values(resources.clusters) as {
    name: string;
    typedExtensionProtocolOptions?: Record<string, unknown>;
  }[];

  it("gives the listener's HTTP/1 backends a cluster of their own passing trailers and keeping header case", () => {
    const legacy = clusters.filter((c) => c.name.includes('/http1/'));
    expect(legacy.map((c) => c.name)).toEqual([expect.stringMatching(/\/http1\/trailerscase$/)]);
    expect(legacy[0]?.typedExtensionProtocolOptions?.[OPTIONS]).toMatchObject({
      explicitHttpConfig: {
        httpProtocolOptions: {
          enableTrailers: true,
          headerKeyFormat: { statefulFormatter: { name: 'preserve_case' } },
        },
      },
    });
    // The other listener's routes to the same backend keep the plain cluster; the HTTP/2 backend is left alone.
    expect(clusters.filter((c) => !c.name.includes('/http1/')).length).toBe(2);
  });

  it('closes an HTTP/1 connection past its maximum duration after its next answer', () => {
    const hcm = JSON.stringify(Object.values(resources.listeners));
    expect(hcm).toContain('"http1SafeMaxConnectionDuration":true');
    expect(hcm).toContain('"acceptHttp10":true');
  });

  it('encodes', () => {
    expect(() => encodeAll(resources)).not.toThrow();
  });

  it("sets the default host of HTTP/1.0 requests; listeners sharing a connection manager take the first one's", () => {
    const withHost = (name: string, hostname: string) =>
      withPolicy(
        { ...listener(name, 'HTTP', [route(name, [rule([app])])]), hostname },
        {
          http1: {
            enableTrailers: false,
            acceptHttp10: true,
            preserveHeaderCase: false,
            defaultHost: hostname,
          },
        },
      );
    const shared = translateGateway(
      gatewayIR([port(8090, [withHost('first', 'a.example.com'), withHost('second', 'b.example.com')])]),
      {},
    );
    const hcm = JSON.stringify(Object.values(shared.listeners));
    expect(hcm).toContain('"acceptHttp10":true,"defaultHostForHttp10":"a.example.com"');
    expect(hcm).not.toContain('b.example.com"}');
    expect(() => encodeAll(shared)).not.toThrow();
  });

  it('resets only the stream of an invalid HTTP/2 message when asked (TerminateStream); the default ends the connection', () => {
    const options = (terminateStreamOnInvalidMessage: boolean) => {
      const translated = translateGateway(
        gatewayIR([
          port(8092, [
            withPolicy(listener('h2', 'HTTP', [route('h2', [rule([app])])]), {
              http2: {
                initialStreamWindowSize: 65536,
                initialConnectionWindowSize: 1048576,
                maxConcurrentStreams: 100,
                terminateStreamOnInvalidMessage,
              },
            }),
          ]),
        ]),
        {},
      );
      return JSON.stringify(Object.values(translated.listeners));
    };
    expect(options(true)).toContain('"overrideStreamErrorOnInvalidHttpMessage":true');
    expect(options(false)).not.toContain('overrideStreamErrorOnInvalidHttpMessage');
  });
});
